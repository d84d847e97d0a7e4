import * as tl from 'azure-pipelines-task-lib/task';

/** Output channels of the task: the task log, the debug log and warnings. */
export interface Logger {
    /** Writes one line to the task log. */
    info(message: string): void;
    /** Writes to the debug log, shown when System.Debug is true. */
    debug(message: string): void;
    warning(message: string): void;
    /** Returns the localized message `key` of task.json, formatted with `args`. */
    loc(key: string, ...args: unknown[]): string;
}

export const taskLogger: Logger = {
    info: (message) => console.log(message),
    debug: (message) => tl.debug(message),
    warning: (message) => tl.warning(message),
    loc: (key, ...args) => tl.loc(key, ...args),
};
