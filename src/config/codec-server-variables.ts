import { z } from 'zod';
import { doc, port } from './variable-kinds';

/** The codec server's variables (`npm run codec-server`, and the one the embedded main job starts for its UI). */
export const codecServerVariables = {
  PLUM_CODEC_SERVER_PORT: port()
    .default(8234)
    .meta(doc({ description: 'port of the codec server' })),
  PLUM_CODEC_SERVER_HOST: z
    .string()
    .min(1)
    .default('127.0.0.1')
    .meta(doc({ description: 'interface the codec server listens on' })),
  PLUM_CODEC_SERVER_AUTH: z
    .enum(['bearer', 'none'], { error: 'must be bearer or none' })
    .default('bearer')
    .meta(
      doc({
        description:
          '`bearer` (needs `PLUM_CODEC_SERVER_TOKEN` or `PLUM_CODEC_OIDC_ISSUER`) or `none` (refused unless `PLUM_CODEC_SERVER_HOST` is loopback)',
      }),
    ),
  PLUM_CODEC_SERVER_TOKEN: z
    .string()
    .optional()
    .meta(doc({ description: 'static bearer token the codec server accepts (the `temporal` CLI’s)', secret: true })),
  PLUM_CODEC_OIDC_ISSUER: z
    .url({ protocol: /^https?$/, error: 'must be the http(s) URL of an OpenID Connect issuer' })
    .optional()
    .meta(
      doc({
        description:
          'OIDC issuer whose access tokens the codec server accepts as bearer tokens: the Temporal UI’s logged-in users (`TEMPORAL_CODEC_PASS_ACCESS_TOKEN=true`); verified against its JWKS for issuer, audience, expiry and signature',
      }),
    ),
  PLUM_CODEC_OIDC_AUDIENCE: z
    .string()
    .min(1)
    .optional()
    .meta(doc({ description: 'the `aud` the access tokens must carry; required with `PLUM_CODEC_OIDC_ISSUER`' })),
  PLUM_CODEC_OIDC_JWKS_URL: z
    .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
    .optional()
    .meta(
      doc({
        description: 'the issuer’s key set',
        defaultText: '`jwks_uri` from the issuer’s `/.well-known/openid-configuration`',
      }),
    ),
  PLUM_CODEC_SERVER_TLS_CERT_FILE: z
    .string()
    .min(1)
    .optional()
    .meta(
      doc({
        description:
          'PEM certificate (chain) the codec server serves HTTPS with; the UI passes access tokens to `https://` codec endpoints only',
      }),
    ),
  PLUM_CODEC_SERVER_TLS_KEY_FILE: z
    .string()
    .min(1)
    .optional()
    .meta(doc({ description: 'PEM private key of `PLUM_CODEC_SERVER_TLS_CERT_FILE`' })),
  PLUM_CODEC_CORS_ORIGINS: z
    .string()
    .regex(/^https?:\/\/[^\s,]+(,https?:\/\/[^\s,]+)*$/, 'must be comma-separated http(s) origins')
    .optional()
    .meta(
      doc({
        description: 'origins allowed to call the codec server',
        defaultText: 'the embedded UI on `TEMPORAL_UI_PORT`',
      }),
    ),
};
