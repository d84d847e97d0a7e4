import * as os from 'node:os';
import * as path from 'node:path';

import * as tl from 'azure-pipelines-task-lib/task';

import { connectToAws } from './aws-setup';
import { createDockerCli, killRunningDockerProcesses } from './docker';
import { createPrivateDockerConfig, type PrivateDockerConfig } from './docker-config';
import { TaskError, describeError } from './errors';
import { parseInputs } from './inputs';
import { taskLogger } from './logger';
import { runPush } from './push';

/** Private docker config directories that must be deleted however the task ends. */
const dockerConfigs = new Set<PrivateDockerConfig>();

function removeDockerConfigs(): void {
    for (const config of dockerConfigs) {
        try {
            config.remove();
        } catch (error) {
            tl.warning(tl.loc('DockerConfigRemoveFailed', config.directory, describeError(error)));
        }
        dockerConfigs.delete(config);
    }
}

function handleCancellation(signal: NodeJS.Signals): void {
    killRunningDockerProcesses(signal);
    removeDockerConfigs();
    tl.setResult(tl.TaskResult.Cancelled, tl.loc('TaskCancelled', signal));
    process.exit(signal === 'SIGINT' ? 130 : 143);
}

async function run(): Promise<void> {
    tl.setResourcePath(path.join(__dirname, 'task.json'));
    process.on('SIGINT', handleCancellation);
    process.on('SIGTERM', handleCancellation);
    process.on('exit', removeDockerConfigs);

    try {
        const inputs = parseInputs((name) => tl.getInput(name, false));
        const logger = taskLogger;

        await runPush(inputs, {
            logger,
            findDocker: () => {
                const dockerPath = tl.which('docker', false);
                if (!dockerPath) {
                    throw new TaskError('DockerNotFound');
                }
                return dockerPath;
            },
            docker: (dockerPath, configDirectory) =>
                createDockerCli({ dockerPath, configDirectory, env: process.env, logger }),
            connectToAws: () => connectToAws(inputs, logger, process.env),
            createDockerConfig: () => {
                const config = createPrivateDockerConfig({
                    parentDirectory: tl.getVariable('Agent.TempDirectory') || os.tmpdir(),
                    env: process.env,
                    debug: (message) => logger.debug(message),
                });
                dockerConfigs.add(config);
                return config;
            },
            setVariable: (name, value, isOutput) => tl.setVariable(name, value, false, isOutput),
        });
        tl.setResult(tl.TaskResult.Succeeded, tl.loc('TaskSucceeded'));
    } catch (error) {
        if (!(error instanceof TaskError) || tl.getVariable('System.Debug')?.toLowerCase() === 'true') {
            tl.debug((error as Error)?.stack ?? String(error));
        }
        tl.setResult(tl.TaskResult.Failed, describeError(error));
    } finally {
        removeDockerConfigs();
    }
}

void run();
