/** The error every IDL problem becomes: it names the file and line, so users can fix the IDL they wrote. */
import { ConfigError } from '../../../src/gateway/index.js';
import type { Position } from './model.js';

export class IdlError extends ConfigError {
  readonly at: Position;
  constructor(at: Position, message: string) {
    super('PH_DDS_IDL', `${at.file}:${at.line}: ${message}`);
    this.at = at;
  }
}
