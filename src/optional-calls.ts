import { TaskError } from './errors';
import type { Logger } from './logger';

/**
 * Runs an ECR call the task can do without: when the credentials lack the
 * permission, it returns 'denied' and the task goes on.
 */
export async function optional<T>(call: () => Promise<T>, logger: Logger): Promise<T | 'denied'> {
    try {
        return await call();
    } catch (error) {
        if (error instanceof TaskError && error.messageKey === 'AwsAccessDenied') {
            logger.debug(`Skipping an optional check: ${error.message}`);
            return 'denied';
        }
        throw error;
    }
}

/**
 * Returns the promise after marking its rejection as handled, for a request
 * that starts now but is awaited only after another one, which may fail first.
 */
export function handledLater<T>(promise: Promise<T>): Promise<T> {
    promise.catch(() => undefined);
    return promise;
}
