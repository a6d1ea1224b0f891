// What a worker process does once its queue of test files is empty (test/support/file-queue.ts).
// Something a file may share with the files after it in the same process, such as a browser, is
// put away here rather than by the file that happened to start it.

let queued = false;
const tasks: (() => Promise<void>)[] = [];

/** Called by the queue before it runs its first file. */
export function runningInQueue(): void {
  queued = true;
}

/** Whether files run one after another in this process, so a shared thing may outlive one file. */
export function inQueue(): boolean {
  return queued;
}

export function whenQueueEnds(task: () => Promise<void>): void {
  tasks.push(task);
}

export async function endQueue(): Promise<void> {
  for (const task of tasks.splice(0)) await task();
}
