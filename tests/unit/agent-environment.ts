import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

// The task library writes a key file into Agent.TempDirectory, or into the current
// directory when that is unset, which would put it in the repository.
if (!process.env.AGENT_TEMPDIRECTORY) {
    const directory = path.join(os.tmpdir(), 'ecr-push-unit-tests');
    fs.mkdirSync(directory, { recursive: true });
    process.env.AGENT_TEMPDIRECTORY = directory;
}
