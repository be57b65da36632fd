import { basename } from 'node:path';
import { configDirectory } from '../config/location.js';

/**
 * The unit name prefix when `--prefix` is not given: the name of the config's directory
 * (`examples/demo/subvisor.yaml` gives `demo`), with every character a unit name cannot hold
 * made a `-`, and `subvisor` when nothing is left (a config at `/`). The directory, not the
 * file, because every project calls its file `subvisor.yaml`.
 *
 * @example
 * ```ts
 * defaultPrefix('/srv/My App/subvisor.yaml'); // 'My-App'
 * ```
 */
export function defaultPrefix(configFile: string): string {
  const name = basename(configDirectory(configFile))
    .replace(/[^A-Za-z0-9_.-]+/g, '-')
    .replace(/^[-.]+|-+$/g, '');
  return name === '' ? 'subvisor' : name;
}
