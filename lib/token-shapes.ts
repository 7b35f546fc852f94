// Credentials recognisable by their shape alone, masked in stored logs even when this process
// never saw the value (a GitHub App token minted by an earlier worker, a token a build script
// printed by mistake). GitHub's formats: ghp_/gho_/ghu_/ghs_/ghr_ + 36 characters, and
// fine-grained personal access tokens github_pat_<22>_<59>.
const GITHUB_TOKEN_SHAPES = /\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})\b/g;

export function maskTokenShapes(text: string): string {
  return text.replace(GITHUB_TOKEN_SHAPES, '***');
}
