import { readFileSync } from 'node:fs';
import { Copy, DockerfileParser } from 'dockerfile-ast';
import { validate } from 'dockerfile-utils';

/**
 * What infra/Dockerfile does, read from the file itself so that checks made without Docker run the
 * image's own commands: the RUN lines of the build stage, and the runtime stage's user, workdir, env and CMD.
 */
export interface DockerfilePlan {
  stages: string[];
  /** Shell commands of the build stage's RUN lines, in order. */
  buildRuns: string[];
  /** The build-stage path `pnpm deploy` writes to (copied into the runtime stage). */
  deployOutDir: string;
  runtime: {
    base: string;
    user: string | undefined;
    workdir: string | undefined;
    env: Record<string, string>;
    /** Exec-form CMD; undefined when the CMD is in shell form (a shell would be PID 1). */
    cmd: string[] | undefined;
    copiesFrom: { stage: string; source: string; target: string }[];
  };
  /** dockerfile-utils' diagnostics (the linter of the VS Code Docker extension): problems, not style. */
  lint: string[];
}

export function readDockerfile(path: string): DockerfilePlan {
  const text = readFileSync(path, 'utf8');
  const dockerfile = DockerfileParser.parse(text);
  const froms = dockerfile.getFROMs();
  const stages = froms.map((f) => f.getBuildStage() ?? f.getImageName() ?? '?');
  const buildStage = froms[0];
  const runtimeStage = froms[froms.length - 1];
  if (!buildStage || !runtimeStage || froms.length < 2) throw new Error(`${path}: not a multi-stage build`);
  const runtimeStart = runtimeStage.getRange().start.line;

  const buildRuns: string[] = [];
  let cmd: string[] | undefined;
  let user: string | undefined;
  let workdir: string | undefined;
  const env: Record<string, string> = {};
  const copiesFrom: DockerfilePlan['runtime']['copiesFrom'] = [];
  for (const instruction of dockerfile.getInstructions()) {
    const inRuntime = instruction.getRange().start.line > runtimeStart;
    const keyword = instruction.getKeyword();
    const args = instruction.getArgumentsContent() ?? '';
    if (!inRuntime) {
      if (keyword === 'RUN' && instruction.getRange().start.line > buildStage.getRange().start.line) {
        buildRuns.push(args.replace(/\\\n\s*/g, ' '));
      }
      continue;
    }
    switch (keyword) {
      case 'CMD':
        cmd = args.trim().startsWith('[') ? (JSON.parse(args) as string[]) : undefined;
        break;
      case 'USER':
        user = args.trim();
        break;
      case 'WORKDIR':
        workdir = args.trim();
        break;
      case 'ENV':
        for (const pair of args.trim().split(/\s+/)) {
          const at = pair.indexOf('=');
          if (at > 0) env[pair.slice(0, at)] = pair.slice(at + 1);
        }
        break;
      case 'COPY': {
        const from =
          instruction instanceof Copy
            ? instruction
                .getFlags()
                .find((f) => f.getName() === 'from')
                ?.getValue()
            : undefined;
        const [source, target] = args.trim().split(/\s+/);
        if (from && source && target) copiesFrom.push({ stage: from, source, target });
        break;
      }
      default:
        break;
    }
  }
  const deploy = buildRuns.find((run) => /\bpnpm deploy\b/.test(run));
  const deployOutDir = deploy?.trim().split(/\s+/).pop();
  if (!deployOutDir) throw new Error(`${path}: no \`pnpm deploy\` in the build stage`);
  return {
    stages,
    buildRuns,
    deployOutDir,
    runtime: { base: runtimeStage.getImageName() ?? '?', user, workdir, env, cmd, copiesFrom },
    lint: validate(text).map((d) => `line ${d.range.start.line + 1}: ${d.message}`),
  };
}

/** A build-stage RUN line as a shell runs it with the build args set: `${SERVICE}` → the value. */
export function withBuildArgs(command: string, args: Record<string, string>): string {
  return command.replace(/\$\{?([A-Z_][A-Z0-9_]*)\}?/g, (whole, name: string) => args[name] ?? whole);
}
