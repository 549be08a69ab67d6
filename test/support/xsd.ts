// Every JUnit file the tests write is checked against the Jenkins schema that CI consumers rely on. The schema
// is vendored in test/fixtures (MIT, its licence kept in the file): the repository tests itself with nothing beside it.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { projectRoot } from './netns.js';

export const jenkinsXsd = path.join(projectRoot, 'test', 'fixtures', 'jenkins-junit-10.xsd');

/** '' when the file validates; xmllint's complaint otherwise. */
export function validateJunit(file: string): string {
  const result = spawnSync('xmllint', ['--noout', '--schema', jenkinsXsd, file], { encoding: 'utf8' });
  if (result.error) throw result.error;
  return result.status === 0 ? '' : result.stderr;
}
