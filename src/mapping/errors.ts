/**
 * The load error of a mapping: every problem found, each as "file:line rule <name>: …". A subclass because
 * src/errors.ts's MappingError carries no issue list; it is still `instanceof MappingError`.
 */
import { MappingError } from '../errors.js';

export class MappingInvalidError extends MappingError {
  readonly issues: readonly string[];
  constructor(source: string, issues: readonly string[]) {
    const count = issues.length === 1 ? '1 problem' : `${issues.length} problems`;
    super('PH_MAPPING_INVALID', `mapping ${source} is invalid, ${count}:\n  ${issues.join('\n  ')}`);
    this.issues = issues;
  }
}
