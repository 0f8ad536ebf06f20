import { DiscardPolicy, RetentionPolicy, StorageType, type JetStreamManager, type StreamInfo } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';

/**
 * Creates the bus stream if it does not exist, or checks that an existing one keeps every message
 * until DuckMesh prunes it.
 *
 * - No age/count/size limits and `max_msgs_per_subject` unlimited: nothing un-pruned may vanish.
 * - `discard: new`: if an operator does add a limit, a full stream refuses appends (a visible
 *   error) instead of silently dropping the oldest, not-yet-materialized entries.
 * - A short duplicate window: appends never rely on msg-id de-duplication (ids are unique; they
 *   exist for `Nats-Expected-Last-Msg-Id`), and the server keeps every id of the window in memory.
 */
export async function ensureStream(jsm: JetStreamManager, stream: string, subject: string, duplicateWindowMs: number): Promise<StreamInfo> {
  const existing = await info(jsm, stream);
  if (existing) return check(existing, subject);
  try {
    return await jsm.streams.add({
      name: stream,
      subjects: [subject],
      storage: StorageType.File,
      retention: RetentionPolicy.Limits,
      discard: DiscardPolicy.New,
      max_msgs: -1,
      max_bytes: -1,
      max_age: 0,
      max_msgs_per_subject: -1,
      num_replicas: 1,
      duplicate_window: nanos(duplicateWindowMs),
    });
  } catch (err) {
    // Another process created it first (the server refuses a differing config for the same name).
    const raced = await info(jsm, stream);
    if (raced) return check(raced, subject);
    throw err;
  }
}

async function info(jsm: JetStreamManager, stream: string): Promise<StreamInfo | null> {
  try {
    return await jsm.streams.info(stream);
  } catch (err) {
    if ((err as { name?: string }).name === 'StreamNotFoundError' || (err as { code?: number }).code === 10059) return null;
    throw err;
  }
}

function check(si: StreamInfo, subject: string): StreamInfo {
  const c = si.config;
  const problems: string[] = [];
  if (!(c.subjects ?? []).includes(subject)) problems.push(`does not capture subject ${subject}`);
  if ((c.subjects ?? []).length !== 1) problems.push('must capture exactly one subject');
  if (c.retention !== RetentionPolicy.Limits) problems.push(`retention is ${c.retention}, must be limits`);
  const limited = (c.max_msgs ?? -1) > 0 || (c.max_bytes ?? -1) > 0 || (c.max_age ?? 0) > 0 || (c.max_msgs_per_subject ?? -1) > 0;
  if (limited && c.discard !== DiscardPolicy.New) problems.push('has limits with discard=old (would drop entries not yet materialized)');
  if (problems.length > 0) throw new Error(`JetStream stream ${si.config.name} cannot be the DuckMesh bus: ${problems.join('; ')}`);
  return si;
}
