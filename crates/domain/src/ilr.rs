//! The learner data the official return (the Individualised Learner Record, ILR) needs, kept
//! exact: the unique learner number and its check digit, the learner reference number, the
//! provider's UKPRN, and completion status and withdrawal reason as the ILR's codes (people
//! see the words).

use crate::enrolment::EnrolmentStatus;

/// The ULN the ILR takes while a learner's real one is not yet known.
pub const TEMPORARY_ULN: &str = "9999999999";

/// Whether `uln` is a unique learner number: "10 digits; valid when the sum of the first
/// nine digits weighted 10, 9, … 2 has a remainder mod 11 that is not 0 and the tenth digit
/// equals 10 minus that remainder; 9999999999 is the temporary 'not known' value".
pub fn check_uln(uln: &str) -> Result<(), &'static str> {
    if uln.len() != 10 || !uln.bytes().all(|b| b.is_ascii_digit()) {
        return Err("must be the learner's 10-digit unique learner number (ULN)");
    }
    if uln == TEMPORARY_ULN {
        return Ok(());
    }
    let digits: Vec<u32> = uln.bytes().map(|b| u32::from(b - b'0')).collect();
    let sum: u32 = digits[..9]
        .iter()
        .zip((2..=10).rev())
        .map(|(d, w)| d * w)
        .sum();
    let remainder = sum % 11;
    if remainder == 0 || digits[9] != 10 - remainder {
        return Err("is not a valid ULN: its last digit does not match the check digit");
    }
    Ok(())
}

/// Whether `reference` is a learner reference number (LearnRefNumber): 1 to 12 letters,
/// digits or spaces, as the ILR allows.
pub fn check_learner_ref(reference: &str) -> Result<(), &'static str> {
    let ok = (1..=12).contains(&reference.len())
        && reference
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b' ')
        && reference.trim() == reference;
    ok.then_some(())
        .ok_or("must be 1 to 12 letters, digits or spaces (the ILR's LearnRefNumber)")
}

/// Whether `ukprn` is a UK provider reference number: 8 digits starting with 1.
pub fn check_ukprn(ukprn: &str) -> Result<(), &'static str> {
    let ok =
        ukprn.len() == 8 && ukprn.starts_with('1') && ukprn.bytes().all(|b| b.is_ascii_digit());
    ok.then_some(())
        .ok_or("must be the provider's 8-digit UKPRN (1xxxxxxx)")
}

/// The ILR's completion status (CompStatus) of an enrolment: 1 continuing, 2 completed,
/// 3 withdrawn, 6 break in learning. Awaiting induction is continuing: the learner has
/// started on the programme.
pub fn comp_status(status: EnrolmentStatus) -> (u8, &'static str) {
    match status {
        EnrolmentStatus::AwaitingInduction | EnrolmentStatus::InLearning => (1, "Continuing"),
        EnrolmentStatus::Completed => (2, "Completed"),
        EnrolmentStatus::Withdrawn => (3, "Withdrawn"),
        EnrolmentStatus::BreakInLearning => (6, "Break in learning"),
    }
}

/// The ILR's withdrawal reasons (WithdrawReason) a provider of apprenticeships records:
/// code and words.
pub const WITHDRAW_REASONS: [(i16, &str); 12] = [
    (2, "Learner has transferred to another provider"),
    (3, "Learner injury or illness"),
    (
        7,
        "Learner has transferred between providers due to intervention by or with the written agreement of the funding body",
    ),
    (29, "Learner has been made redundant"),
    (
        40,
        "Learner has transferred to a new learning aim with the same provider",
    ),
    (
        41,
        "Learner has transferred to another provider to undertake learning that meets a specific government strategy",
    ),
    (43, "Financial reasons"),
    (44, "Other personal reasons"),
    (46, "Exclusion"),
    (
        47,
        "Learner has transferred to another provider due to merger",
    ),
    (97, "Other"),
    (98, "Reason not known"),
];

/// The words of a withdrawal reason code, if it is one.
pub fn withdraw_reason(code: i16) -> Option<&'static str> {
    WITHDRAW_REASONS
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, words)| *words)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// "The sum of the first nine digits weighted 10, 9, … 2 has a remainder mod 11 that is
    /// not 0 and the tenth digit equals 10 minus that remainder."
    #[test]
    fn a_uln_is_checked_by_its_check_digit() {
        // 1×10 + 2×9 + 3×8 + 4×7 + 5×6 + 6×5 + 7×4 + 8×3 + 9×2 = 210; 210 mod 11 = 1; the
        // check digit is 10 − 1 = 9.
        assert_eq!(check_uln("1234567899"), Ok(()));
        assert!(check_uln("1234567890").is_err());
        // 9×10 + 8×9 + 7×8 + 6×7 + 5×6 + 4×5 + 3×4 + 2×3 + 1×2 = 330 = 11 × 30: remainder 0,
        // never valid.
        assert!(check_uln("9876543210").is_err());
        assert!(check_uln("9876543219").is_err());
        // 2000000028: 2×10 + 2×2 = 24; 24 mod 11 = 2; the check digit is 10 − 2 = 8.
        assert_eq!(check_uln("2000000028"), Ok(()));
        assert_eq!(check_uln(TEMPORARY_ULN), Ok(()));
        assert!(check_uln("123456789").is_err());
        assert!(check_uln("12345678a9").is_err());
    }

    #[test]
    fn references_and_codes() {
        assert_eq!(check_learner_ref("NG 000123"), Ok(()));
        assert!(check_learner_ref("ABCDEFGHIJKLM").is_err());
        assert!(check_learner_ref("NG-1").is_err());
        assert_eq!(check_ukprn("10012345"), Ok(()));
        assert!(check_ukprn("20012345").is_err() && check_ukprn("1001234").is_err());
        assert_eq!(
            comp_status(EnrolmentStatus::BreakInLearning),
            (6, "Break in learning")
        );
        assert_eq!(comp_status(EnrolmentStatus::AwaitingInduction).0, 1);
        assert_eq!(withdraw_reason(44), Some("Other personal reasons"));
        assert_eq!(withdraw_reason(1), None);
    }
}
