/** Authentication (password file, JWT) and authorization (ACL rules) for the broker; see docs/auth.md. */
export {
  Authenticator,
  type AuthConfig,
  type AuthMethod,
  type AuthRequest,
  type AuthResult,
  type AuthenticatorOptions,
} from './authenticator.js';
export { Authorizer, type AuthorizerOptions, type AuthzAction, type AuthzDecision } from './authorizer.js';
export type { AuthzClient, ClientAcl } from './acl-rules.js';
export {
  JwtVerifier,
  type JwtConfig,
  type JwtFailure,
  type JwtResult,
  type JwtVerifierOptions,
} from './jwt-verifier.js';
export {
  PasswordFile,
  parsePasswordFile,
  usernameProblem,
  type PasswordEntry,
  type RefreshOutcome,
} from './password-file.js';
export { removeUser, upsertUser } from './password-file-write.js';
export {
  DEFAULT_SCRYPT,
  formatHash,
  hashPassword,
  parseHash,
  verifyPassword,
  type ParsedHash,
  type ScryptParams,
} from './password-hash.js';
export { DEFAULT_PASSWORD_FILE, runPasswdCommand, type PasswdIo } from './passwd-command.js';
