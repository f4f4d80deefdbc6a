import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The test bed's own certificate authority and the certificates a real node needs: the apiserver's
 * serving certificate (reached as 127.0.0.1, the test interface's address and the `kubernetes`
 * Service), client certificates whose subject is the identity the Node authorizer and RBAC check
 * (system:node:<name> in system:nodes, system:kube-proxy), the apiserver's client certificate for
 * the kubelet, and the kubelet's serving certificate. Made with openssl because Node.js cannot sign
 * X.509 certificates; valid for two days, since a test bed never lives longer.
 */
export interface CertificateFiles {
  readonly cert: string;
  readonly key: string;
}

export interface TestBedPki {
  readonly dir: string;
  readonly caCert: string;
  readonly apiserver: CertificateFiles;
  readonly apiserverKubeletClient: CertificateFiles;
  readonly kubeletClient: CertificateFiles;
  readonly kubeletServing: CertificateFiles;
  readonly kubeProxy: CertificateFiles;
}

const DAYS = '2';

function extensions(extendedKeyUsage: string, subjectAltName?: string): string {
  return ['[req]', 'distinguished_name = dn', 'prompt = no', '[dn]', 'CN = unused', '[leaf]', 'basicConstraints = critical,CA:FALSE',
    'keyUsage = critical,digitalSignature,keyEncipherment', `extendedKeyUsage = ${extendedKeyUsage}`,
    ...(subjectAltName ? [`subjectAltName = ${subjectAltName}`] : []), ''].join('\n');
}

function issue(dir: string, ca: CertificateFiles, name: string, subject: string, usage: string, altNames?: string): CertificateFiles {
  const files = { cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`) };
  const config = join(dir, `${name}.cnf`);
  writeFileSync(config, extensions(usage, altNames));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', files.key,
    '-out', files.cert, '-subj', subject, '-config', config, '-extensions', 'leaf', '-CA', ca.cert, '-CAkey', ca.key, '-days', DAYS],
  { stdio: ['ignore', 'ignore', 'pipe'] });
  return files;
}

export function createTestBedPki(dir: string, options: { nodeName: string; address: string; serviceIp: string }): TestBedPki {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const ca = { cert: join(dir, 'ca.crt'), key: join(dir, 'ca.key') };
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', ca.key,
    '-out', ca.cert, '-subj', '/CN=flink-fleet-test-ca', '-days', DAYS, '-addext', 'basicConstraints=critical,CA:TRUE',
    '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], { stdio: ['ignore', 'ignore', 'pipe'] });
  const apiserverNames = ['DNS:localhost', 'DNS:kubernetes', 'DNS:kubernetes.default', 'DNS:kubernetes.default.svc',
    'DNS:kubernetes.default.svc.cluster.local', 'IP:127.0.0.1', `IP:${options.address}`, `IP:${options.serviceIp}`].join(',');
  return {
    dir, caCert: ca.cert,
    apiserver: issue(dir, ca, 'apiserver', '/CN=kube-apiserver', 'serverAuth', apiserverNames),
    // system:masters: the kubelet's webhook authorizer lets it read logs, exec and port-forward.
    apiserverKubeletClient: issue(dir, ca, 'apiserver-kubelet-client', '/O=system:masters/CN=kube-apiserver-kubelet-client', 'clientAuth'),
    kubeletClient: issue(dir, ca, 'kubelet-client', `/O=system:nodes/CN=system:node:${options.nodeName}`, 'clientAuth'),
    kubeletServing: issue(dir, ca, 'kubelet-serving', `/CN=${options.nodeName}`, 'serverAuth', `DNS:${options.nodeName},IP:${options.address}`),
    kubeProxy: issue(dir, ca, 'kube-proxy', '/CN=system:kube-proxy', 'clientAuth'),
  };
}
