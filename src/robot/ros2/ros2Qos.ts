import type { RclOptions, RclQoSClass } from './rclnodejsApi.js';
import type { QosConfig } from './ros2Config.js';

/**
 * rclnodejs options for a configured QoS profile (`new QoS(history, depth, reliability,
 * durability)`), with `validateMessages`: a publisher then checks each message against its type
 * (rclnodejs 2.2 lib/publisher.js:30-67, strict: unknown fields and wrong JS types throw) instead
 * of letting the native serialiser coerce them (a string in a float64 would go out as NaN).
 * Subscriptions ignore the flag.
 */
export function qosOptions(Q: RclQoSClass, q: QosConfig): RclOptions {
  const history =
    q.history === 'keep_last'
      ? Q.HistoryPolicy.RMW_QOS_POLICY_HISTORY_KEEP_LAST
      : q.history === 'keep_all'
        ? Q.HistoryPolicy.RMW_QOS_POLICY_HISTORY_KEEP_ALL
        : Q.HistoryPolicy.RMW_QOS_POLICY_HISTORY_SYSTEM_DEFAULT;
  const reliability =
    q.reliability === 'reliable'
      ? Q.ReliabilityPolicy.RMW_QOS_POLICY_RELIABILITY_RELIABLE
      : q.reliability === 'best_effort'
        ? Q.ReliabilityPolicy.RMW_QOS_POLICY_RELIABILITY_BEST_EFFORT
        : Q.ReliabilityPolicy.RMW_QOS_POLICY_RELIABILITY_SYSTEM_DEFAULT;
  const durability =
    q.durability === 'volatile'
      ? Q.DurabilityPolicy.RMW_QOS_POLICY_DURABILITY_VOLATILE
      : q.durability === 'transient_local'
        ? Q.DurabilityPolicy.RMW_QOS_POLICY_DURABILITY_TRANSIENT_LOCAL
        : Q.DurabilityPolicy.RMW_QOS_POLICY_DURABILITY_SYSTEM_DEFAULT;
  return { qos: new Q(history, q.depth, reliability, durability), validateMessages: true };
}
