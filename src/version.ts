import manifest from '../task.json';

/** The task version from task.json, the one place it is set. */
export const TASK_VERSION = `${manifest.version.Major}.${manifest.version.Minor}.${manifest.version.Patch}`;
