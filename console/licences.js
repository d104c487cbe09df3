// A running shop's licences (证照: its business licence and food permit), shown to customers on its page (公示): as
// its owner sends renewed ones (PUT /merchants/{merchantId}/licences, the images uploaded first as an applicant's are),
// which go on file once an operator approves them (GET …/licences/renewal: the latest renewal, pending or as decided),
// and the API's refusals in Chinese. They are listed as an application's documents are (onboarding.js ownDocuments,
// listedDocuments, heldDocuments). Pure functions (no DOM, no fetch), so that tests/console runs them under node.
import { chosenDocuments, heldDocuments, onboardingProblem } from "./onboarding.js";

/**
 * The licences chosen in the form (kind → File, or nothing when none is chosen), checked before anything is sent:
 * ``{ chosen }`` (``[kind, file]`` pairs, at least one) or ``{ error }``. A kind not chosen stays as the renewal
 * waiting for review has it, or as it is on file.
 */
export function chosenLicences(files) {
  const checked = chosenDocuments(files);
  if (checked.error) return checked;
  return checked.chosen.length ? checked : { error: "请选择要更新的证照。" };
}

/**
 * The shop's latest renewal (as GET …/licences/renewal or the PUT answers it; null: none ever sent) as the owner's
 * 证照 section says it: ``{ status, documents }``. One waiting for review lists what it sends (only those kinds: the
 * others stay as on file); one declined says why; one approved is on file, listed there: nothing more is said.
 */
export function renewalShown(renewal, now) {
  if (renewal?.status === "PENDING") return { status: "证照更新待审核", documents: heldDocuments(renewal.documents, now) };
  if (renewal?.status === "DECLINED") return { status: `证照更新未通过：${renewal.reason}`, documents: [] };
  return { status: "", documents: [] };
}

// The API's refusals about renewing the licences, and deciding a renewal, that the user can put right
const PROBLEMS = {
  // another renewal went in since the list was read (another tab, an operator): the list to read again first
  LICENCES_CHANGED: "证照刚被修改过，请刷新后再试。",
  NOTHING_TO_RENEW: "请选择要更新的证照。",
  // operators': the owner sent another image meanwhile, or another operator decided it
  RENEWAL_CHANGED: "店主刚修改了证照更新，请刷新后再审核。",
  RENEWAL_NOT_FOUND: "这家店铺没有待审核的证照更新：请刷新。",
  ALREADY_DECIDED: "这次证照更新已经审核过了：请刷新查看结果。",
};

/** The API's refusal about renewing the licences (catalog/licences_api.py) in Chinese; null for others. */
export function licencesProblem(code, details) {
  if (Object.hasOwn(PROBLEMS, code)) return PROBLEMS[code];
  return onboardingProblem(code, details); // an image not uploaded, too big, not an image; a date missing or past
}
