import * as k8s from "@kubernetes/client-node";

interface Attribute {
  name: string;
  baseName: string;
  type: string;
}
type ModelClass = { getAttributeTypeMap(): Attribute[] };

const models = k8s as unknown as Record<string, ModelClass | undefined>;

/**
 * The paths of fields Kubernetes does not know in `value` of model `type` (`V1Job`, ...), found
 * with the client's model attribute maps, as `kubectl apply --validate=strict` would refuse them:
 * the published schemas (kubernetes-models) accept unknown fields, so a misspelt key would pass.
 */
export function unknownFields(value: unknown, type: string, path = ""): string[] {
  if (value === null || value === undefined) return [];
  const array = /^Array<(.+)>$/.exec(type);
  if (array?.[1]) {
    const item = array[1];
    return Array.isArray(value)
      ? value.flatMap((v, i) => unknownFields(v, item, `${path}[${i}]`))
      : [];
  }
  const model = models[type];
  if (!model || typeof model.getAttributeTypeMap !== "function") return [];
  if (typeof value !== "object") return [];
  const attributes = new Map(model.getAttributeTypeMap().map((a) => [a.baseName, a.type]));
  return Object.entries(value as Record<string, unknown>).flatMap(([key, v]) => {
    const at = path ? `${path}.${key}` : key;
    const attributeType = attributes.get(key);
    return attributeType === undefined ? [at] : unknownFields(v, attributeType, at);
  });
}
