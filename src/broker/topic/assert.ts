/** Throwing forms of the validators for cold paths (config, in-process API) that report with a TopicError. */
import { TopicError } from '../../errors.js';
import { validateTopicFilter, validateTopicName } from './validate.js';

/** Throws TopicError PH_TOPIC_INVALID when `topic` is not a valid topic name. */
export function assertTopicName(topic: string, maxLevels?: number): void {
  const reason = validateTopicName(topic, maxLevels);
  if (reason !== undefined) throw new TopicError('PH_TOPIC_INVALID', `invalid topic name ${quote(topic)}: ${reason}`);
}

/** Throws TopicError PH_TOPIC_INVALID when `filter` is not a valid topic filter. */
export function assertTopicFilter(filter: string, maxLevels?: number): void {
  const reason = validateTopicFilter(filter, maxLevels);
  if (reason !== undefined)
    throw new TopicError('PH_TOPIC_INVALID', `invalid topic filter ${quote(filter)}: ${reason}`);
}

/** Quote for messages, cut so a 64 KiB topic cannot flood a log line. */
export function quote(topic: string): string {
  return JSON.stringify(topic.length > 200 ? `${topic.slice(0, 200)}…` : topic);
}
