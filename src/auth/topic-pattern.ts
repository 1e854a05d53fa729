/**
 * One ACL topic entry, compiled once: a filter with `${username}` / `${clientid}` placeholders, or
 * `eq <filter>`, which matches the subscribed filter text (or published topic) exactly instead of by wildcards.
 */
import { AuthError } from '../errors.js';
import { coversLevels, levels, matchLevels, validateTopicFilter } from '../broker/topic/index.js';

export interface PatternSubject {
  clientId: string;
  username?: string;
}

/** What is being authorized, pre-split once per authorize() call. */
export interface AuthzTarget {
  action: 'publish' | 'subscribe';
  /** Topic name (publish) or filter without `$share/{group}/` (subscribe). */
  text: string;
  levels: readonly string[];
}

export interface TopicPattern {
  readonly source: string;
  matches(subject: PatternSubject, target: AuthzTarget): boolean;
}

const PLACEHOLDER_RE = /\$\{([^}]*)\}/g;
const KNOWN = new Set(['username', 'clientid']);

/**
 * A placeholder value must stay inside one level: a username of `#` or `a/b` would otherwise widen
 * `users/${username}/#` to other users' topics. Empty values are refused for the same reason.
 */
function safeLevelValue(v: string | undefined): v is string {
  return v !== undefined && v.length > 0 && !/[/+#\u0000]/.test(v);
}

function substitute(template: string, subject: PatternSubject): string | undefined {
  let failed = false;
  const out = template.replace(PLACEHOLDER_RE, (_m, name: string) => {
    const v = name === 'username' ? subject.username : subject.clientId;
    if (!safeLevelValue(v)) failed = true;
    return v ?? '';
  });
  return failed ? undefined : out;
}

export function compileTopicPattern(source: string, where: string): TopicPattern {
  const eqMatch = /^eq\s+(.+)$/.exec(source);
  const template = eqMatch ? eqMatch[1].trim() : source;
  let hasPlaceholder = false;
  for (const m of template.matchAll(PLACEHOLDER_RE)) {
    if (!KNOWN.has(m[1])) {
      throw new AuthError(
        'PH_AUTH_ACL_RULE',
        `${where}: unknown placeholder \${${m[1]}} in "${source}" (known: \${username}, \${clientid})`,
      );
    }
    hasPlaceholder = true;
  }
  // Validate the shape with a stand-in value; real values are checked per client by safeLevelValue.
  if (validateTopicFilter(template.replace(PLACEHOLDER_RE, 'x')) !== undefined) {
    throw new AuthError('PH_AUTH_ACL_RULE', `${where}: "${source}" is not a valid MQTT topic filter`);
  }
  const eq = eqMatch !== null;
  const staticLevels = hasPlaceholder ? undefined : levels(template);

  return {
    source,
    matches(subject, target) {
      const text = hasPlaceholder ? substitute(template, subject) : template;
      if (text === undefined) return false;
      if (eq) return text === target.text;
      const ruleLevels = staticLevels ?? levels(text);
      return target.action === 'publish'
        ? matchLevels(ruleLevels, target.levels)
        : coversLevels(ruleLevels, target.levels);
    },
  };
}
