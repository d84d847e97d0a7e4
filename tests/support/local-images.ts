import { createImage, removeImage } from './images';
import { uniqueRepositoryName } from './names';

/** A local image as the task's imagename inputs name it. */
export interface LocalImageReference {
    readonly name: string;
    readonly tag: string;
    /** Full image ID, `sha256:…`. */
    readonly id: string;
}

/** Creates unique local images and removes them again, with every tag a task run added to them. */
export class LocalImages {
    private readonly created: string[] = [];

    constructor(private readonly dockerHost: string) {}

    /** Creates an image of about sizeBytes (4 KiB by default) named `local/<unique>:build`. */
    async create(options: { readonly sizeBytes?: number; readonly layers?: number } = {}): Promise<LocalImageReference> {
        const name = `local/${uniqueRepositoryName('features')}`;
        const id = await createImage(this.dockerHost, `${name}:build`, options.sizeBytes ?? 4096, { layers: options.layers });
        this.created.push(id);
        return { name, tag: 'build', id };
    }

    /** Removes every image created so far by ID, with force, so that the tags the task added go too. */
    async removeAll(): Promise<void> {
        for (const imageId of this.created.splice(0)) {
            await removeImage(this.dockerHost, imageId, { force: true });
        }
    }
}

/** Returns the task inputs that push a local image into a repository. */
export function pushInputs(image: { readonly name: string; readonly tag: string }, repositoryName: string, extra: Record<string, string> = {}): Record<string, string> {
    return { imageSource: 'imagename', sourceImageName: image.name, sourceImageTag: image.tag, repositoryName, ...extra };
}
