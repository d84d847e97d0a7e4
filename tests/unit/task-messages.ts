import * as path from 'node:path';

import * as tl from 'azure-pipelines-task-lib/task';

/** Loads the task's messages so that errors carry their real text in unit tests. */
export function loadTaskMessages(): void {
    tl.setResourcePath(path.join(__dirname, '..', '..', 'task.json'));
}
