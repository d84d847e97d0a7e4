import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/**
 * A private docker configuration directory for one task run. `docker login`
 * writes the registry credentials here instead of the user's own config, and
 * it has no credsStore, so a broken or size-limited credential helper can't
 * fail the login. ECR passwords are longer than the 2,500 characters Windows
 * Credential Manager accepts, for example. The user's current docker context
 * still applies, because the context name is carried over and the contexts
 * folder is linked.
 */
export interface PrivateDockerConfig {
    readonly directory: string;
    /** Deletes the directory and the credentials in it. Safe to call more than once. */
    remove(): void;
}

export interface PrivateDockerConfigOptions {
    /** Agent.TempDirectory; the OS temp directory when it is not set. */
    readonly parentDirectory: string | undefined;
    readonly env: NodeJS.ProcessEnv;
    readonly debug: (message: string) => void;
}

/** Returns the user's docker config directory: DOCKER_CONFIG, else ~/.docker. */
export function userDockerConfigDirectory(env: NodeJS.ProcessEnv): string {
    return env.DOCKER_CONFIG || path.join(os.homedir(), '.docker');
}

export function createPrivateDockerConfig(options: PrivateDockerConfigOptions): PrivateDockerConfig {
    const parent = options.parentDirectory && fs.existsSync(options.parentDirectory) ? options.parentDirectory : os.tmpdir();
    // mkdtemp creates the directory with mode 0700 on POSIX systems.
    const directory = fs.mkdtempSync(path.join(parent, 'ecr-push-docker-'));
    fs.chmodSync(directory, 0o700);

    const userDirectory = userDockerConfigDirectory(options.env);
    const currentContext = readCurrentContext(userDirectory, options.debug);
    const config: Record<string, unknown> = { auths: {} };
    if (currentContext) {
        config.currentContext = currentContext;
        linkContexts(userDirectory, directory, options.debug);
    }
    fs.writeFileSync(path.join(directory, 'config.json'), JSON.stringify(config), { mode: 0o600 });

    let removed = false;
    return {
        directory,
        remove() {
            if (removed) {
                return;
            }
            removed = true;
            fs.rmSync(directory, { recursive: true, force: true });
        },
    };
}

function readCurrentContext(userDirectory: string, debug: (message: string) => void): string | undefined {
    const file = path.join(userDirectory, 'config.json');
    try {
        const config = JSON.parse(fs.readFileSync(file, 'utf8')) as { currentContext?: unknown };
        const context = typeof config.currentContext === 'string' ? config.currentContext : undefined;
        return context && context !== 'default' ? context : undefined;
    } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
            debug(`Could not read the docker context from ${file}: ${(error as Error).message}`);
        }
        return undefined;
    }
}

function linkContexts(userDirectory: string, privateDirectory: string, debug: (message: string) => void): void {
    const contexts = path.join(userDirectory, 'contexts');
    if (!fs.existsSync(contexts)) {
        return;
    }
    try {
        fs.symlinkSync(contexts, path.join(privateDirectory, 'contexts'), process.platform === 'win32' ? 'junction' : 'dir');
    } catch (error) {
        debug(`Could not link the docker contexts folder ${contexts}: ${(error as Error).message}`);
    }
}
