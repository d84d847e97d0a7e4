import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { repositoryRoot } from './repository-root';

/** Folder of the task inside the .vsix, as vss-extension.json contributes it. */
export const PACKAGED_TASK_FOLDER = 'dist/ECRPushImage';

/** Reads every file of a zip archive: stored or deflated entries, no ZIP64, which is what tfx writes. */
export function readZip(archive: Buffer): Map<string, Buffer> {
    const endOfDirectory = archive.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
    if (endOfDirectory < 0) {
        throw new Error('Not a zip archive: end of central directory not found.');
    }

    const entryCount = archive.readUInt16LE(endOfDirectory + 10);
    let offset = archive.readUInt32LE(endOfDirectory + 16);
    const files = new Map<string, Buffer>();

    for (let index = 0; index < entryCount; index++) {
        if (archive.readUInt32LE(offset) !== 0x02014b50) {
            throw new Error(`Invalid central directory entry at offset ${offset}.`);
        }
        const method = archive.readUInt16LE(offset + 10);
        const compressedSize = archive.readUInt32LE(offset + 20);
        const nameLength = archive.readUInt16LE(offset + 28);
        const extraLength = archive.readUInt16LE(offset + 30);
        const commentLength = archive.readUInt16LE(offset + 32);
        const localHeader = archive.readUInt32LE(offset + 42);
        const name = archive.toString('utf8', offset + 46, offset + 46 + nameLength);

        if (method !== 0 && method !== 8) {
            throw new Error(`Entry ${name} uses compression method ${method}, which this reader does not support.`);
        }

        const dataStart = localHeader + 30 + archive.readUInt16LE(localHeader + 26) + archive.readUInt16LE(localHeader + 28);
        const data = archive.subarray(dataStart, dataStart + compressedSize);
        if (!name.endsWith('/')) {
            files.set(name, method === 8 ? zlib.inflateRawSync(data) : Buffer.from(data));
        }

        offset += 46 + nameLength + extraLength + commentLength;
    }
    return files;
}

/** Copies the files git would commit (tracked and not ignored) into a new folder that shares node_modules. */
export function copyWorkingTree(destination: string): void {
    const root = repositoryRoot();
    const listing = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: root });
    const files = listing.toString('utf8').split('\0').filter(Boolean);

    for (const file of files) {
        const source = path.join(root, file);
        // Skips files deleted in the working tree but still in the index, and links such as a linked node_modules.
        if (!fs.lstatSync(source, { throwIfNoEntry: false })?.isFile()) {
            continue;
        }
        fs.mkdirSync(path.join(destination, path.dirname(file)), { recursive: true });
        fs.copyFileSync(source, path.join(destination, file));
    }
    fs.symlinkSync(path.join(root, 'node_modules'), path.join(destination, 'node_modules'), 'junction');
}

/** Writes the files of an archive under a folder, creating subfolders as needed. */
export function extractTo(files: Map<string, Buffer>, destination: string): void {
    for (const [name, content] of files) {
        const target = path.join(destination, ...name.split('/'));
        fs.mkdirSync(path.dirname(target), { recursive: true });
        fs.writeFileSync(target, content);
    }
}

/** Returns the file name scripts/package.js gives the .vsix: `<publisher>.<id>-<task version>.vsix`. */
export function vsixFileName(root: string = repositoryRoot()): string {
    const task = JSON.parse(fs.readFileSync(path.join(root, 'task.json'), 'utf8')) as { version: { Major: number; Minor: number; Patch: number } };
    const extension = JSON.parse(fs.readFileSync(path.join(root, 'vss-extension.json'), 'utf8')) as { publisher: string; id: string };
    return `${extension.publisher}.${extension.id}-${task.version.Major}.${task.version.Minor}.${task.version.Patch}.vsix`;
}

/**
 * Packages the extension as `npm run package` does, in a copy of the working
 * tree under `tree`, so that the repository's own dist/ folder, which other
 * tests run the task from, stays untouched. Returns the path of the .vsix.
 */
export function packageWorkingTreeCopy(tree: string): string {
    fs.mkdirSync(tree, { recursive: true });
    copyWorkingTree(tree);

    const result = spawnSync(process.execPath, [path.join('scripts', 'package.js')], { cwd: tree, encoding: 'utf8', timeout: 300_000 });
    if (result.status !== 0) {
        throw new Error(`Packaging failed with exit code ${result.status}:\n${result.stdout}${result.stderr}`);
    }
    return path.join(tree, 'dist', vsixFileName(tree));
}
