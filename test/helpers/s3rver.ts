/** @20minutes/s3rver on 127.0.0.1:0 (it checks SigV4 signatures), with a `results` bucket. */
// @ts-expect-error: the package ships no types
import S3rver from '@20minutes/s3rver';

interface S3rverInstance {
  run(): Promise<{ address: string; port: number }>;
  close(): Promise<void>;
}

export interface LocalS3 {
  endpoint: string;
  /** The worker's BUCKET_* variables for this server, with `extra` on top. */
  env(extra?: Record<string, string>): Record<string, string>;
  close(): Promise<void>;
}

/** The secret s3rver accepts (it is also the access key id). */
export const S3RVER_SECRET = 'S3RVER';

/** Serves from `directory` (the caller's temp dir: the caller removes it). */
export async function startS3rver(directory: string): Promise<LocalS3> {
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    configureBuckets: [{ name: 'results' }],
  }) as S3rverInstance;
  const { address, port } = await server.run();
  const endpoint = `http://${address}:${port}`;
  return {
    endpoint,
    env: (extra = {}) => ({
      BUCKET_ENDPOINT_URL: endpoint,
      BUCKET_ACCESS_KEY_ID: 'S3RVER',
      BUCKET_SECRET_ACCESS_KEY: S3RVER_SECRET,
      BUCKET_NAME: 'results',
      ...extra,
    }),
    close: () => server.close(),
  };
}
