import { describe, expect, it } from "vitest";
import { compileJq } from "./jq.js";

const prom = {
  status: "success",
  data: { resultType: "vector", result: [{ metric: {}, value: [1700000000.1, "42.5"] }] },
};

describe("compileJq", () => {
  it.each([
    [".data.result[0].value[1] | tonumber", prom, [42.5]],
    [".data.result.[0].value.[1]", prom, ["42.5"]],
    [".data.result | length", prom, [1]],
    [".data.result | first | .value[1] | tonumber", prom, [42.5]],
    [".data.result[-1].value[0]", prom, [1700000000.1]],
    ['.["data"].resultType', prom, ["vector"]],
    [".data.result[].value[1]", prom, ["42.5"]],
    [".a // 7", { a: null }, [7]],
    [".xs | map(.a)", { xs: [{ a: 1 }] }, [[1]]],
    [".a.b?", { a: "text" }, []],
    [".xs | add", { xs: [1, 2, 3] }, [6]],
    [".xs | max", { xs: [1, 5, 3] }, [5]],
    [".xs | map(select(.ok)) | length", { xs: [{ ok: true }, { ok: false }] }, [1]],
    ['"NaN" | tonumber', {}, [Number.NaN]],
    ['"+Inf" | tonumber', {}, [Number.POSITIVE_INFINITY]],
    ['"-Inf" | tonumber', {}, [Number.NEGATIVE_INFINITY]],
    [".missing.deeper[0] | tonumber", {}, [null]],
    [".data.result[5].value[1] | tonumber", prom, [null]],
    [".hits.total.value", { hits: { total: { value: 3 } } }, [3]],
    ['."a-b"', { "a-b": 1 }, [1]],
  ])("%s", (expression, input, expected) => {
    expect(compileJq(expression).run(input)).toEqual(expected);
  });

  it.each([
    ["indexing a string", ".a.b", { a: "text" }, /cannot index string/],
    ["a non-numeric tonumber", ".a | tonumber", { a: "abc" }, /cannot be parsed as a number/],
  ])("fails clearly on %s", (_name, expression, input, message) => {
    expect(() => compileJq(expression).run(input)).toThrow(message);
  });

  it.each([".data[", "frob", ".a |", "map"])("rejects the expression %s", (expression) => {
    expect(() => compileJq(expression)).toThrow(
      /ITER8_PROVIDER_JQ|jq expression|not defined|unsupported/,
    );
  });
});
