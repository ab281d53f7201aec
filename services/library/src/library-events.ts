// Publishes the library's events (the notifier's asset_ready and process_finished
// callbacks) and queues processing, each with a msgID so a repeat is one event.
import {
  SUBJECTS, publishDurable, type Bus, type LibraryOps, type MediaAsset, type ProcessJob, type ProcessTask, type TaskTrigger,
} from '../../../libs/bus/index.js';

export function assetReady(bus: Bus, asset: MediaAsset): Promise<void> {
  return publishDurable(bus, SUBJECTS.libraryAssetReady, { asset, at: Date.now() }, `asset_ready:${asset.assetId}`);
}

export function processFinished(bus: Bus, task: ProcessTask, asset: MediaAsset): Promise<void> {
  return publishDurable(bus, SUBJECTS.libraryProcessFinished, { task, asset, at: Date.now() }, `process_finished:${task.taskId}`);
}

/** Makes (or finds) the task of an asset and template group and queues its job; a finished task is not queued again. */
export async function submitTask(bus: Bus, ops: LibraryOps, assetId: string, groupId: string, trigger: TaskTrigger): Promise<ProcessTask> {
  const { task } = await ops.createTask({ assetId, groupId, trigger });
  if (task.status === 'queued' || task.status === 'running') {
    const job: ProcessJob = { taskId: task.taskId };
    await publishDurable(bus, SUBJECTS.libraryProcess, job, `process:${task.taskId}`);
  }
  return task;
}
