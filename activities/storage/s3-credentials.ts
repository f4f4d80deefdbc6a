/** An S3 access key pair, as the AWS SDK's default chain (and so Hadoop's S3A) reads it from the environment. */
export interface S3Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}
