// `rxmgmt check`: validate a graph file as `run` would, without touching anything.
import { Command, Option } from 'clipanion';
import { graphvizFilters } from './graphviz-filter.js';
import { UsageError, parseChoice } from './options.js';

export class CheckCommand extends Command {
  static override paths = [['check']];

  static override usage = Command.Usage({
    description: 'validate a graph file without applying it',
    details: `
      Reads the graph file and does everything \`run\` does before applying it: parses and
      validates the YAML, builds the graph, adds automatic edges, groups resources, and looks for
      cycles and for two resources managing one thing. Nothing is touched: no CheckApply runs, no
      ifcmd or watchcmd is started, no World is joined, and no kind looks anything up.

      Prints every problem with its file and line, as \`run\` does, and exits 1; for a good graph
      prints a one-line summary and exits 0. The gate to put before a deploy.
    `,
    examples: [
      ['Validate a graph', '$0 check -f site.yaml'],
      ['Validate and draw it', '$0 check -f site.yaml --graphviz site.dot --graphviz-filter dot'],
    ],
  });

  file = Option.String('-f,--file', { description: 'the YAML graph file to check', required: true });
  graphviz = Option.String('--graphviz', { description: 'write the graph to this file as Graphviz DOT' });
  graphvizFilter = Option.String('--graphviz-filter', {
    description: `render the DOT file to FILE.png with this graphviz program (${graphvizFilters.join('|')}); needs --graphviz`,
  });

  async execute(): Promise<number> {
    try {
      if (this.graphvizFilter !== undefined && this.graphviz === undefined) throw new UsageError('--graphviz-filter needs --graphviz FILE');
      const filter = this.graphvizFilter === undefined ? undefined : parseChoice('--graphviz-filter', this.graphvizFilter, graphvizFilters);
      const { checkGraphFile } = await import('../loader/graph-file.js');
      const { lazyBuiltinRegistry } = await import('../resources/kinds.js');
      const result = await checkGraphFile(this.file, lazyBuiltinRegistry());
      if (!result.ok) {
        this.context.stderr.write(`rxmgmt: ${result.message}\n`);
        return 1;
      }
      if (this.graphviz !== undefined) {
        const { graphvizWriter } = await import('./graphviz-output.js');
        const { createLogger, stderrSink } = await import('../util/logger.js');
        let failed = false;
        const log = createLogger((level, subject, msg) => {
          if (level === 'error') failed = true;
          stderrSink(level, subject, msg);
        });
        const writer = graphvizWriter(this.graphviz, filter, log);
        writer.write(result.graph);
        await writer.flushed();
        if (failed) return 1;
      }
      this.context.stdout.write(`${result.summary}\n`);
      return 0;
    } catch (e) {
      if (!(e instanceof UsageError)) throw e;
      this.context.stderr.write(`rxmgmt check: ${e.message}\n`);
      return 2;
    }
  }
}
