// Public API of this package. It is filled in by the issue that builds the package; until then it
// exports nothing (see README.md for its purpose).
export {};
