import * as tl from 'azure-pipelines-task-lib/task';

/**
 * A failure the pipeline author can act on. The message is the localized
 * string `messageKey` of task.json, formatted with `args`; it is the one line
 * the task reports as its result.
 */
export class TaskError extends Error {
    readonly messageKey: string;
    readonly args: readonly unknown[];

    constructor(messageKey: string, ...args: unknown[]) {
        super(tl.loc(messageKey, ...args));
        this.name = 'TaskError';
        this.messageKey = messageKey;
        this.args = args;
    }
}

/** Returns the message of any thrown value, for logs and wrapped errors. */
export function describeError(error: unknown): string {
    if (error instanceof Error) {
        return error.message;
    }
    return String(error);
}
