// Prints deploy/kubernetes/prometheus-rule.yaml, the alert rules of deploy/prometheus/alerts.yml as a
// prometheus-operator PrometheusRule; with --write, replaces the file. A test keeps the two the same.
import { readFileSync, writeFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';

export const RULES_FILE = 'deploy/prometheus/alerts.yml';
export const PROMETHEUS_RULE_FILE = 'deploy/kubernetes/prometheus-rule.yaml';

/** The PrometheusRule whose groups are those of the alert rules file. */
export function prometheusRuleYaml(): string {
  const { groups } = parse(readFileSync(RULES_FILE, 'utf8')) as { groups: unknown[] };
  const rule = {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PrometheusRule',
    metadata: { name: 'plum-token-keeper', labels: { 'app.kubernetes.io/name': 'plum-token-keeper' } },
    spec: { groups },
  };
  return `# Generated from ${RULES_FILE} by npm run k8s-rules -- --write; edit that file, not this one.\n${stringify(rule, { lineWidth: 0 })}`;
}

if (require.main === module) {
  if (process.argv.includes('--write')) {
    writeFileSync(PROMETHEUS_RULE_FILE, prometheusRuleYaml());
    console.log(`wrote ${PROMETHEUS_RULE_FILE}`);
  } else {
    process.stdout.write(prometheusRuleYaml());
  }
}
