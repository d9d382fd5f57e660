/** The search attributes of DESIGN.md, with the types the dev server registers them as. */
export const PLUM_SEARCH_ATTRIBUTE_TYPES = {
  PlumCompanyId: 'Keyword',
  PlumTokenStatus: 'Keyword',
  PlumAccessTokenExpiresAt: 'Datetime',
  PlumNextRefreshAt: 'Datetime',
} as const;
