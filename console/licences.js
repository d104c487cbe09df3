// A running shop's licences (证照: its business licence and food permit), shown to customers on its page (公示): as
// its owner keeps them current (GET and PUT /merchants/{merchantId}/licences, the images uploaded first as an
// applicant's are) and the API's refusals in Chinese. They are listed as an application's documents are
// (onboarding.js ownDocuments, listedDocuments). Pure functions (no DOM, no fetch), so that tests/console runs them
// under node.
import { chosenDocuments, onboardingProblem } from "./onboarding.js";

/**
 * The licences chosen in the form (kind → File, or nothing when none is chosen), checked before anything is sent:
 * ``{ chosen }`` (``[kind, file]`` pairs, at least one) or ``{ error }``. A kind not chosen stays as it is on file.
 */
export function chosenLicences(files) {
  const checked = chosenDocuments(files);
  if (checked.error) return checked;
  return checked.chosen.length ? checked : { error: "请选择要更新的证照。" };
}

/** The API's refusal about renewing the licences (catalog/licences_api.py) in Chinese; null for others. */
export function licencesProblem(code, details) {
  // another renewal went in since the list was read (another tab, an operator): the list to read again first
  if (code === "LICENCES_CHANGED") return "证照刚被修改过，请刷新后再试。";
  return onboardingProblem(code, details); // an image not uploaded, too big, not an image
}
