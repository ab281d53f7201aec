// Post-processing: one task renders every template of its group from the asset's
// file (H.264/AAC MP4 with ffmpeg) and attaches the outputs as renditions. Tasks
// come from a work queue (one worker takes each); a failure is retried with
// backoff up to MAX_ATTEMPTS, then the task is failed with the error.
import { mkdir, rm } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { RetryLater, RpcFailure, type LibraryOps, type MediaAsset, type ProcessJob, type ProcessTask, type TemplateGroup } from '../../../libs/bus/index.js';
import { probeMedia, transcodeToMp4 } from '../../../libs/media/index.js';
import type { StorageRegistry } from '../../../libs/storage/index.js';
import type { Logger } from '../../../libs/telemetry/index.js';
import { meter } from '../../../libs/telemetry/index.js';
import { materialize } from './object-files.js';

export const MAX_ATTEMPTS = 4;
export const FIRST_BACKOFF_MS = 2000;

/** Wait before attempt n + 1 (n >= 1): doubling from FIRST_BACKOFF_MS, at most 5 minutes. */
export function backoffMs(attempts: number): number {
  return Math.min(300000, FIRST_BACKOFF_MS * 2 ** (attempts - 1));
}

/** A rendition's object: beside the asset's file, named after it, the group and the definition. */
export function renditionKey(assetKey: string, groupId: string, definition: string): string {
  const base = posix.basename(assetKey, posix.extname(assetKey));
  return posix.join(posix.dirname(assetKey), `${base}_${groupId}_${definition}.mp4`);
}

export class ProcessWorker {
  /** Aborted when the worker stops: a running ffmpeg is killed and its task queued again, not failed. */
  private readonly stopping = new AbortController();
  private readonly outcomes = meter('library').createCounter('liverecord_library_tasks_total', { description: 'Processing task attempts by outcome (succeeded, retried, failed)' });

  /** finished: announces a task that ended (the process_finished event). */
  constructor(
    private readonly ops: LibraryOps,
    private readonly storage: StorageRegistry,
    private readonly workDir: string,
    private readonly log: Logger,
    private readonly finished: (task: ProcessTask, asset: MediaAsset) => Promise<void>,
  ) {}

  async run(job: ProcessJob): Promise<void> {
    const task = await this.ops.getTask({ taskId: job.taskId });
    if (!task) {
      this.log.info({ taskId: job.taskId }, 'processing task no longer exists (its asset was deleted); job dropped');
      return;
    }
    const asset = await this.ops.getAsset({ assetId: task.assetId });
    if (task.status === 'succeeded' || task.status === 'failed') {
      // Finished before, but its job came back: the event may never have gone out (the
      // status is written first, then `finished` publishes it, and that can fail or the
      // worker die in between). So it is published again: the msgID process_finished:{taskId}
      // makes a repeat one event within the broker's duplicate window, and the notifier's
      // delivery ledger (keyed by the callback id made from that msgID) one callback after it.
      if (asset) await this.finished(task, asset);
      else this.log.warn({ taskId: task.taskId, assetId: task.assetId }, 'finished processing task of a deleted video; no event');
      return;
    }
    if (!asset) {
      await this.ops.updateTask({ taskId: task.taskId, status: 'failed', error: `video ${task.assetId} was deleted`, attempts: task.attempts });
      return;
    }
    const group = await this.ops.getGroup({ groupId: task.groupId });
    if (!group) return this.fail(task, asset, task.attempts, `transcode template group ${task.groupId} does not exist (AddTranscodeTemplateGroup)`);
    if (task.trigger !== 'manual' && asset.settings.processMethod === 'workflow') {
      return this.fail(task, asset, task.attempts, 'process_method workflow is not available in this deployment (use transcode)');
    }
    const attempts = task.attempts + 1;
    await this.ops.updateTask({ taskId: task.taskId, status: 'running', error: '', attempts });
    await this.ops.setAssetStatus({ assetId: asset.assetId, status: 'Processing' });
    const dir = join(this.workDir, `task-${task.taskId}-${attempts}`);
    let kept: boolean;
    try {
      kept = await this.render(asset, group, dir, task.taskId);
    } catch (err) {
      if (this.stopping.signal.aborted) {
        // Not the task's fault: this attempt does not count, another worker (or this one restarted) does it.
        await this.ops.updateTask({ taskId: task.taskId, status: 'queued', error: 'interrupted: the worker stopped', attempts: attempts - 1 });
        throw new RetryLater(`processing task ${task.taskId} interrupted by the worker stopping`, 1000);
      }
      // ffmpeg quotes its input and output paths: the work folder is nobody's business outside.
      const error = (err as Error).message.split(dir).join('…');
      if (attempts < MAX_ATTEMPTS) {
        await this.ops.updateTask({ taskId: task.taskId, status: 'queued', error, attempts });
        this.outcomes.add(1, { outcome: 'retried' });
        throw new RetryLater(`processing task ${task.taskId} attempt ${attempts} failed: ${error}`, backoffMs(attempts));
      }
      return this.fail(task, asset, attempts, error);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    // DeleteVideo took the asset (and this task) while it was processed: nothing to report on.
    if (!kept) return;
    const done = await this.ops.updateTask({ taskId: task.taskId, status: 'succeeded', error: '', attempts });
    await this.ops.setAssetStatus({ assetId: asset.assetId, status: 'Normal' });
    this.outcomes.add(1, { outcome: 'succeeded' });
    this.log.info({ taskId: task.taskId, assetId: asset.assetId, groupId: group.id, renditions: group.templates.length, attempts }, 'processing task succeeded');
    await this.finished(done, (await this.ops.getAsset({ assetId: asset.assetId })) ?? asset);
  }

  /** Stops what runs now (the service is stopping): the task goes back to the queue. */
  abort(): void {
    this.stopping.abort(new Error('the library worker is stopping'));
  }

  private async fail(task: ProcessTask, asset: MediaAsset, attempts: number, error: string): Promise<void> {
    const failed = await this.ops.updateTask({ taskId: task.taskId, status: 'failed', error, attempts });
    await this.ops.setAssetStatus({ assetId: asset.assetId, status: 'ProcessFailed' });
    this.outcomes.add(1, { outcome: 'failed' });
    this.log.error({ taskId: task.taskId, assetId: asset.assetId, attempts, error }, 'processing task failed');
    await this.finished(failed, asset);
  }

  /**
   * Renders and attaches every template; false when the video was deleted meanwhile (its
   * task went with it): what this task stored is deleted again, nothing is attached.
   */
  private async render(asset: MediaAsset, group: TemplateGroup, dir: string, taskId: string): Promise<boolean> {
    await mkdir(dir, { recursive: true });
    const backend = this.storage.backendFor(asset.storage);
    const input = await materialize(backend, asset.objectKey, join(dir, 'in'));
    const deleted = async (key: string | null) => {
      if (key) await backend.delete(key);
      this.log.info({ taskId, assetId: asset.assetId, objectKey: key }, 'video deleted while it was processed: its rendition is not kept');
      return false;
    };
    for (const spec of group.templates) {
      const out = join(dir, `${spec.definition}.mp4`);
      await transcodeToMp4(input, out, spec, this.stopping.signal);
      const probed = await probeMedia(out);
      // A transcode takes a while: the video (with its task) may have been deleted meanwhile.
      if (!(await this.ops.getTask({ taskId }))) return deleted(null);
      const key = renditionKey(asset.objectKey, group.id, spec.definition);
      const stored = await backend.put(key, out, 'video/mp4');
      try {
        await this.ops.attachRendition({
          renditionId: `${asset.assetId}-${group.id}-${spec.definition}`, assetId: asset.assetId, groupId: group.id, definition: spec.definition,
          format: 'mp4', objectKey: key, storage: asset.storage, url: backend.urlOf(key), width: probed.width, height: probed.height,
          durationMs: probed.durationMs, size: stored.size, createdMs: Date.now(),
        });
      } catch (err) {
        // Deleted between the check and the attach: the catalogue refuses a rendition of a missing asset.
        if (err instanceof RpcFailure && err.error.code === 'not_found') return deleted(key);
        throw err;
      }
    }
    return true;
  }
}
