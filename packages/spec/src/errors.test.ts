import { describe, expect, it } from "vitest";
import { errorFromIssues, formatSpecIssue, Iter8Error, SpecError } from "./errors.js";
import type { ErrorKindTable } from "./errors.js";

type ExampleCode = "ITER8_EXAMPLE_UNREACHABLE" | "ITER8_EXAMPLE_INVALID";

// An embedder's own error class: a table of kinds is all a subclass has to add.
class ExampleError extends Iter8Error<ExampleCode> {
  protected override get kinds(): ErrorKindTable<ExampleCode> {
    return { ITER8_EXAMPLE_UNREACHABLE: "failure", ITER8_EXAMPLE_INVALID: "invalid-input" };
  }
}

describe("Iter8Error", () => {
  it("keeps its code, message, hint and cause", () => {
    const cause = new Error("ECONNREFUSED");
    const error = new ExampleError("ITER8_EXAMPLE_UNREACHABLE", "cannot reach it", "start it", {
      cause,
    });
    expect(error).toBeInstanceOf(Error);
    expect(error).toBeInstanceOf(Iter8Error);
    expect(error.code).toBe("ITER8_EXAMPLE_UNREACHABLE");
    expect(error.message).toBe("cannot reach it");
    expect(error.hint).toBe("start it");
    expect(error.cause).toBe(cause);
    expect(error.name).toBe("Iter8Error");
  });

  it("takes its kind from its class's table for its code", () => {
    expect(new ExampleError("ITER8_EXAMPLE_UNREACHABLE", "down").kind).toBe("failure");
    expect(new ExampleError("ITER8_EXAMPLE_INVALID", "bad").kind).toBe("invalid-input");
    expect(new SpecError("ITER8_FILE_ACCESS", "cannot read x.yaml").kind).toBe("invalid-input");
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
