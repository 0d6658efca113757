import { writeFileSync } from 'node:fs';
import { configReferenceMarkdown } from '../src/config/configReference.js';

writeFileSync('docs/config.md', configReferenceMarkdown());
