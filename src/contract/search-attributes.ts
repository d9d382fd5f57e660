import { defineSearchAttributeKey } from '@temporalio/common';

export const companyIdKey = defineSearchAttributeKey('PlumCompanyId', 'KEYWORD');
export const tokenStatusKey = defineSearchAttributeKey('PlumTokenStatus', 'KEYWORD');
export const accessTokenExpiresAtKey = defineSearchAttributeKey('PlumAccessTokenExpiresAt', 'DATETIME');
export const nextRefreshAtKey = defineSearchAttributeKey('PlumNextRefreshAt', 'DATETIME');

/** The keeper's search attributes; a namespace must have them registered before workflows start. */
export const PLUM_SEARCH_ATTRIBUTE_KEYS = [companyIdKey, tokenStatusKey, accessTokenExpiresAtKey, nextRefreshAtKey];

const CLI_TYPE_NAMES = { KEYWORD: 'Keyword', DATETIME: 'Datetime' } as const;

/** The same attributes as the `temporal` CLI spells their types (`--search-attribute Name=Type`). */
export const PLUM_SEARCH_ATTRIBUTE_TYPES: Record<string, string> = Object.fromEntries(
  PLUM_SEARCH_ATTRIBUTE_KEYS.map((key) => [key.name, CLI_TYPE_NAMES[key.type as keyof typeof CLI_TYPE_NAMES]]),
);
