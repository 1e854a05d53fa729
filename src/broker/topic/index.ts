/** MQTT topic names, filters, shared subscriptions and the subscription trie used on the broker's hot path. */
export {
  MAX_TOPIC_BYTES,
  TopicReason,
  hasWildcard,
  validateGeneratedTopicName,
  validateTopicFilter,
  validateTopicName,
  type TopicReasonText,
} from './validate.js';
export {
  SHARE_PREFIX,
  SharedReason,
  isSharedFilter,
  parseSharedFilter,
  type SharedFilter,
  type SharedFilterError,
} from './shared.js';
export { topicMatches } from './match.js';
export { coversFilter, coversLevels, filtersOverlap, isServerTopic, levels, matchLevels } from './levels.js';
export { Utf8Reason, validateMqttString, validateMqttStringBytes, type Utf8ReasonText } from './utf8.js';
export { MatchCache, type MatchCacheStats } from './match-cache.js';
export { SubscriptionTrie, type MatchVisitor, type SubscriptionTrieOptions, type TrieEntry } from './trie.js';
export { assertTopicFilter, assertTopicName } from './assert.js';
