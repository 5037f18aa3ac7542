import { describe, expect, it } from "vitest";
import { errorFromIssues, formatSpecIssue, Iter8Error, SpecError } from "./errors.js";

describe("Iter8Error", () => {
  it("keeps its code, message, hint and cause", () => {
    const cause = new Error("ECONNREFUSED");
    const error = new Iter8Error("ITER8_EXAMPLE", "cannot reach it", "start it first", { cause });
    expect(error).toBeInstanceOf(Error);
    expect(error.code).toBe("ITER8_EXAMPLE");
    expect(error.message).toBe("cannot reach it");
    expect(error.hint).toBe("start it first");
    expect(error.cause).toBe(cause);
    expect(error.name).toBe("Iter8Error");
  });

  it("is the base of SpecError, which adds its issues and keeps its own name", () => {
    const issue = { path: "tasks[0].task", message: "unknown task", file: "e.yaml", line: 2 };
    const error = errorFromIssues("ITER8_SPEC_INVALID", [issue, issue], "experiment", "see docs");
    expect(error).toBeInstanceOf(Iter8Error);
    expect(error).toBeInstanceOf(SpecError);
    expect(error.name).toBe("SpecError");
    expect(error.code).toBe("ITER8_SPEC_INVALID");
    expect(error.issues).toHaveLength(2);
    expect(error.hint).toBe("see docs");
    expect(error.message).toBe(`${formatSpecIssue(issue)} (and 1 more)`);
  });
});
