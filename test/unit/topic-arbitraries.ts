/** fast-check generators for topic names and filters over a small alphabet, so random pairs often match. */
import fc from 'fast-check';
import { validateTopicFilter, validateTopicName } from '../../src/broker/topic/validate.js';

const nameLevel = fc.constantFrom('a', 'b', 'c', '', '$SYS', '$a', 'a$', 'é', '😀');

/** Valid topic names including $-topics, empty levels (`a//b`), leading and trailing `/`. */
export const topicNameArb = fc
  .array(nameLevel, { minLength: 1, maxLength: 5 })
  .map((levels) => levels.join('/'))
  .filter((t) => validateTopicName(t) === undefined);

/** Valid topic filters: the same levels plus `+`, and an optional trailing `#`. */
export const topicFilterArb = fc
  .tuple(fc.array(fc.oneof(nameLevel, fc.constant('+')), { minLength: 0, maxLength: 5 }), fc.boolean())
  .map(([levels, hash]) => (hash ? [...levels, '#'] : levels).join('/'))
  .filter((f) => validateTopicFilter(f) === undefined);
