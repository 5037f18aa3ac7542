// The bench harness arrives with the loadgen issue.
export {};
