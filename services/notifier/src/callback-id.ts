import { createHash } from 'node:crypto';
import type { JsMsg } from '@nats-io/jetstream';
import type { AssetReady, FileStored, ProcessFinished, RecordingNotice } from '../../../libs/bus/index.js';

export type CallbackEvent = FileStored | RecordingNotice | AssetReady | ProcessFinished;

/**
 * The id of the callback an event causes, the same for every copy of the event:
 * the producer's msgID when it set one (the uploader for files, the recorder for
 * notices: one per transition), else the event's content. A publish retry that
 * lands twice (after the broker's duplicate window, or without a msgID) therefore
 * carries the same id, and is delivered once.
 */
export function callbackId(msg: JsMsg, ev: CallbackEvent): string {
  const msgId = msg.headers?.get('Nats-Msg-Id');
  const identity = msgId || contentIdentity(msg.subject, ev);
  return `lr-${createHash('sha256').update(`${msg.subject}\n${identity}`).digest('hex').slice(0, 32)}`;
}

function contentIdentity(subject: string, ev: CallbackEvent): string {
  if ('file' in ev) return `file:${ev.file.recordingId}:${ev.file.format}:${ev.file.sequence}`;
  if ('task' in ev) return `process_finished:${ev.task.taskId}:${ev.task.status}`;
  if ('asset' in ev) return `asset_ready:${ev.asset.assetId}`;
  return `notice:${ev.recordingId}:${ev.notice}:${ev.at}`;
}
