export { companyTokenWorkflow } from './company-token-workflow';
