import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { copyWorkingTree, extractTo, readZip } from '../support/extension-package';

// Packages the extension the way `npm run package` does, in a copy of the
// working tree, so that the test neither depends on nor disturbs the dist/
// folder that other tests run the task from. Then it opens the .vsix and runs
// the packaged task on its own.

const root = path.join(__dirname, '..', '..');
const TASK_FOLDER = 'dist/ECRPushImage';

/** Files in the packaged task folder: the bundle, its license notes, the manifests, the strings and the icon. */
const TASK_FOLDER_FILES = [
    'icon.png',
    'index.js',
    'index.js.LEGAL.txt',
    'Strings/resources.resjson/en-US/resources.resjson',
    'task.json',
    'task.loc.json',
];

const CREDENTIAL_PARAMETERS = ['username', 'password', 'sessionToken', 'assumeRoleArn', 'roleSessionName', 'externalId', 'useOIDC'];

interface TaskManifest {
    version: { Major: number; Minor: number; Patch: number };
    messages: Record<string, string>;
}

interface InputDescriptor {
    id: string;
    inputMode: string;
    isConfidential?: boolean;
}

interface Contribution {
    id: string;
    type: string;
    targets: string[];
    properties: {
        name: string;
        authenticationSchemes?: { type: string; inputDescriptors: InputDescriptor[] }[];
    };
}

/**
 * Runs the packaged task with only repositoryName missing, which it must reject
 * before any docker or AWS call, and returns its output.
 */
function runPackagedTask(taskFolder: string, agentTemp: string): string {
    const env: NodeJS.ProcessEnv = {
        PATH: process.env.PATH,
        SYSTEMROOT: process.env.SYSTEMROOT,
        AGENT_TEMPDIRECTORY: agentTemp,
        INPUT_IMAGESOURCE: 'imagename',
        INPUT_SOURCEIMAGENAME: 'app',
        INPUT_SOURCEIMAGETAG: 'latest',
        INPUT_PUSHTAG: 'latest',
    };
    const result = spawnSync(process.execPath, [path.join(taskFolder, 'index.js')], { cwd: agentTemp, env, encoding: 'utf8', timeout: 60_000 });
    return `${result.stdout}${result.stderr}`;
}

describe('extension package', () => {
    const workDirectory = fs.mkdtempSync(path.join(os.tmpdir(), 'ecr-push-package-'));
    const tree = path.join(workDirectory, 'tree');
    const unpacked = path.join(workDirectory, 'unpacked');
    const agentTemp = path.join(workDirectory, 'agent-temp');

    const task = JSON.parse(fs.readFileSync(path.join(root, 'task.json'), 'utf8')) as TaskManifest;
    const extension = JSON.parse(fs.readFileSync(path.join(root, 'vss-extension.json'), 'utf8')) as { publisher: string; id: string };
    const version = `${task.version.Major}.${task.version.Minor}.${task.version.Patch}`;
    const vsixName = `${extension.publisher}.${extension.id}-${version}.vsix`;

    let packageOutput = '';
    let files = new Map<string, Buffer>();

    beforeAll(() => {
        fs.mkdirSync(tree);
        fs.mkdirSync(agentTemp);
        copyWorkingTree(tree);

        const result = spawnSync(process.execPath, [path.join('scripts', 'package.js')], { cwd: tree, encoding: 'utf8', timeout: 300_000 });
        packageOutput = `${result.stdout}${result.stderr}`;
        if (result.status !== 0) {
            throw new Error(`Packaging failed with exit code ${result.status}:\n${packageOutput}`);
        }

        files = readZip(fs.readFileSync(path.join(tree, 'dist', vsixName)));
        extractTo(files, unpacked);
    }, 300_000);

    afterAll(() => {
        fs.rmSync(workDirectory, { recursive: true, force: true });
    });

    const json = <T>(name: string): T => JSON.parse(files.get(name)!.toString('utf8')) as T;
    const contributions = () => json<{ contributions: Contribution[] }>('extension.vsomanifest').contributions;

    it('is built by npm run package', () => {
        const packageJson = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
        expect(packageJson.scripts.package).toBe('node scripts/package.js');
    });

    it('uses the task version', () => {
        const vsixManifest = files.get('extension.vsixmanifest')!.toString('utf8');

        expect(vsixManifest).toContain(`Id="${extension.id}"`);
        expect(vsixManifest).toContain(`Publisher="${extension.publisher}"`);
        expect(vsixManifest).toContain(`Version="${version}"`);
    });

    it('contains no stray top-level files', () => {
        const outsideTask = [...files.keys()].filter((name) => !name.startsWith(`${TASK_FOLDER}/`)).sort();

        expect(outsideTask).toEqual(['LICENSE', 'README.md', '[Content_Types].xml', 'extension.vsixmanifest', 'extension.vsomanifest', 'images/icon.png'].sort());
    });

    it('contains exactly the task files', () => {
        const inTask = [...files.keys()]
            .filter((name) => name.startsWith(`${TASK_FOLDER}/`))
            .map((name) => name.slice(TASK_FOLDER.length + 1))
            .sort();

        expect(inTask).toEqual([...TASK_FOLDER_FILES].sort());
    });

    it('ships no sources, tests or maps', () => {
        const stray = [...files.keys()].filter((name) => /\.ts$|\.map$|(^|\/)node_modules\/|(^|\/)tests?\//.test(name));
        expect(stray).toEqual([]);
    });

    it('ships the committed task manifests and strings', () => {
        for (const name of ['task.json', 'task.loc.json', 'Strings/resources.resjson/en-US/resources.resjson']) {
            expect({ name, content: files.get(`${TASK_FOLDER}/${name}`)?.toString('utf8') }).toEqual({
                name,
                content: fs.readFileSync(path.join(root, name), 'utf8'),
            });
        }
    });

    it('ships a 128x128 task icon', () => {
        const icon = files.get(`${TASK_FOLDER}/icon.png`)!;

        expect(icon.subarray(1, 4).toString('ascii')).toBe('PNG');
        expect(icon.readUInt32BE(16)).toBe(128);
        expect(icon.readUInt32BE(20)).toBe(128);
    });

    it('contributes the task folder', () => {
        const taskContribution = contributions().find((contribution) => contribution.type === 'ms.vss-distributed-task.task');

        expect(taskContribution?.targets).toEqual(['ms.vss-distributed-task.tasks']);
        expect(taskContribution?.properties.name).toBe(TASK_FOLDER);
    });

    it('contributes the AWS connection type', () => {
        const endpoint = contributions().find((contribution) => contribution.type === 'ms.vss-endpoint.service-endpoint-type');
        const scheme = endpoint?.properties.authenticationSchemes?.[0];

        expect(endpoint?.targets).toEqual(['ms.vss-endpoint.endpoint-types']);
        expect(endpoint?.properties.name).toBe('AWS');
        expect(scheme?.type).toBe('ms.vss-endpoint.endpoint-auth-scheme-basic');
        expect(scheme?.inputDescriptors.map((descriptor) => descriptor.id)).toEqual(CREDENTIAL_PARAMETERS);
    });

    it('keeps secret parameters confidential', () => {
        const endpoint = contributions().find((contribution) => contribution.properties.name === 'AWS');
        const descriptors = endpoint?.properties.authenticationSchemes?.[0]?.inputDescriptors ?? [];
        const confidential = descriptors.filter((descriptor) => descriptor.isConfidential).map((descriptor) => descriptor.id);

        expect(confidential).toEqual(['password', 'sessionToken']);
    });

    it('runs the packaged task by itself', () => {
        const output = runPackagedTask(path.join(unpacked, ...TASK_FOLDER.split('/')), agentTemp);

        expect(output).toContain(`##vso[task.complete result=Failed;]${task.messages.MissingRepositoryName}`);
        expect(output).not.toContain("Can't find loc string");
    });

    it('reads its messages from the packaged strings', () => {
        // A changed English string must reach the task log, which shows that the
        // task library finds Strings/ beside the packaged task.json.
        const taskFolder = path.join(workDirectory, 'edited-task');
        fs.cpSync(path.join(unpacked, ...TASK_FOLDER.split('/')), taskFolder, { recursive: true });
        const resourcesFile = path.join(taskFolder, 'Strings', 'resources.resjson', 'en-US', 'resources.resjson');
        const resources = JSON.parse(fs.readFileSync(resourcesFile, 'utf8')) as Record<string, string>;
        resources['loc.messages.MissingRepositoryName'] = 'Edited message from resources.resjson';
        fs.writeFileSync(resourcesFile, JSON.stringify(resources));

        const output = runPackagedTask(taskFolder, agentTemp);

        expect(output).toContain('##vso[task.complete result=Failed;]Edited message from resources.resjson');
    });
});
