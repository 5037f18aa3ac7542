// Public API of this package (see README.md for its purpose).
export {
  ASSIGNMENT_ERROR_CODES,
  AssignmentError,
  assignVersion,
  hashToUnitInterval,
} from "./assignment.js";
export type { AssignmentErrorCode } from "./assignment.js";
