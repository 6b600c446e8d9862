//! The reports' words in both official languages.
//!
//! Every heading, column and status word is a field of [`Words`], so a report cannot
//! name a string that has no French (or no English): the compiler checks both tables.
//! Dates in prose are written in the language's long form with chrono's locale data
//! (CLDR, `en_CA` and `fr_CA`); dates in tables stay ISO 8601 (`2026-11-30`), which the
//! Government of Canada's style guides accept in both languages and which sorts.

use chrono::{Locale, NaiveDate};
use serde::Serialize;

use crate::plan::manifest::Bilingual;

/// A report's language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Lang {
    #[default]
    En,
    Fr,
}

impl Lang {
    /// The BCP 47 tag, for `<html lang>`.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Fr => "fr",
        }
    }

    pub fn words(self) -> &'static Words {
        match self {
            Lang::En => &EN,
            Lang::Fr => &FR,
        }
    }

    /// The text of `b` in this language.
    pub fn pick(self, b: &Bilingual) -> String {
        match self {
            Lang::En => b.en.clone(),
            Lang::Fr => b.fr.clone(),
        }
    }

    fn locale(self) -> Locale {
        match self {
            Lang::En => Locale::en_CA,
            Lang::Fr => Locale::fr_CA,
        }
    }

    /// `30 November 2026`, `30 novembre 2026`.
    pub fn long_date(self, d: NaiveDate) -> String {
        d.format_localized("%-d %B %Y", self.locale()).to_string()
    }

    /// `November 2026`, `novembre 2026`.
    pub fn month(self, first_day: NaiveDate) -> String {
        first_day
            .format_localized("%B %Y", self.locale())
            .to_string()
    }

    /// `1 day`, `3 days`.
    pub fn days(self, n: i64) -> String {
        let w = self.words();
        format!("{n} {}", if n.abs() == 1 { w.day } else { w.days })
    }

    /// "late by 3 days" / "en retard de 3 jours".
    pub fn late_by(self, n: i64) -> String {
        format!("{} {}", self.words().late_by, self.days(n))
    }
}

/// Every word the reports print.
#[derive(Debug)]
pub struct Words {
    // Titles.
    pub report_title: &'static str,
    pub owners_title: &'static str,
    pub plan_title: &'static str,
    pub progress_title: &'static str,
    pub as_of: &'static str,
    pub resources_in_inventory: &'static str,
    pub none: &'static str,
    pub total: &'static str,
    pub day: &'static str,
    pub days: &'static str,
    /// `": "` in English, `" : "` in French.
    pub colon: &'static str,
    // Sections.
    pub progress: &'static str,
    pub by_category: &'static str,
    pub by_decision: &'static str,
    pub grounds_of_withheld: &'static str,
    pub imso_approval: &'static str,
    pub overdue_heading: &'static str,
    pub next_releases: &'static str,
    pub release_plan_heading: &'static str,
    pub invalid_manifests: &'static str,
    pub cumulative: &'static str,
    pub chart_data: &'static str,
    pub published_this_month: &'static str,
    pub slipped_this_month: &'static str,
    pub blocked: &'static str,
    pub planned_next_month: &'static str,
    pub approvals_chain: &'static str,
    pub plan_approval_note: &'static str,
    pub owners_intro: &'static str,
    // Columns.
    pub status: &'static str,
    pub datasets: &'static str,
    pub category: &'static str,
    pub decision: &'static str,
    pub grounds: &'static str,
    pub approval: &'static str,
    pub reference: &'static str,
    pub title: &'static str,
    pub description: &'static str,
    pub justification: &'static str,
    pub recommendation: &'static str,
    pub business_owner: &'static str,
    pub dg_im: &'static str,
    pub imso: &'static str,
    pub priority: &'static str,
    pub planned_date: &'static str,
    pub first_published: &'static str,
    pub last_published: &'static str,
    pub published_on: &'static str,
    pub timing: &'static str,
    pub reason: &'static str,
    pub who_must_act: &'static str,
    pub month: &'static str,
    pub planned: &'static str,
    pub detail: &'static str,
    pub manifest: &'static str,
    pub plan_note: &'static str,
    // Status words.
    pub published: &'static str,
    pub overdue: &'static str,
    pub pending: &'static str,
    pub withheld: &'static str,
    pub invalid: &'static str,
    pub release: &'static str,
    pub withhold: &'static str,
    pub unknown: &'static str,
    pub approved: &'static str,
    pub awaiting: &'static str,
    pub not_applicable: &'static str,
    pub on_time: &'static str,
    pub late_by: &'static str,
    pub awaiting_imso: &'static str,
    pub awaiting_imso_since: &'static str,
    pub held_by_screen_on: &'static str,
    pub held_on: &'static str,
    pub failed_on: &'static str,
    pub withheld_after_planning: &'static str,
    pub not_run_since_due: &'static str,
    pub scheduled_for: &'static str,
    pub due_today: &'static str,
    pub due_next_run: &'static str,
    pub unreadable_manifest: &'static str,
    // Who must act.
    pub act_imso: &'static str,
    pub act_business_owner: &'static str,
    pub act_operations: &'static str,
    pub act_im_team: &'static str,
    // Chart and summaries.
    pub chart_title: &'static str,
    pub nothing_planned: &'static str,
    /// `{published}`, `{due}`, `{total}` are filled in.
    pub summary: &'static str,
    /// `{month}`, `{published}`, `{on_time}`, `{late}`, `{overdue}`.
    pub month_summary: &'static str,
}

pub static EN: Words = Words {
    report_title: "Open data inventory and progress report",
    owners_title: "Business owners' report on information resources",
    plan_title: "Open data release plan and schedule",
    progress_title: "Monthly progress report on the release plan",
    as_of: "As of",
    resources_in_inventory: "information resources in the inventory",
    none: "None.",
    total: "Total",
    day: "day",
    days: "days",
    colon: ": ",
    progress: "Progress",
    by_category: "By information category",
    by_decision: "By decision",
    grounds_of_withheld: "Exemption grounds of withheld resources",
    imso_approval: "IMSO approval of resources recommended for release",
    overdue_heading: "Overdue: planned date passed, not published",
    next_releases: "Next releases",
    release_plan_heading: "Release plan, in priority order",
    invalid_manifests: "Invalid manifests",
    cumulative: "Published and planned, cumulative by month",
    chart_data: "Chart data: cumulative datasets by month",
    published_this_month: "Published this month",
    slipped_this_month: "Slipped this month: planned this month, not published",
    blocked: "Blocked: overdue, with the reason and who must act",
    planned_next_month: "Planned next month",
    approvals_chain: "Approvals",
    plan_approval_note: "Each line's approvals are those recorded in its manifest: the business owner's recommendation, the Director General of Information Management's review and the Information Management Senior Official's approval, with their dates.",
    owners_intro: "For each information category: the resources of business value, the business owner's recommendation to release or not, its justification and exemption grounds, and the approvals with their dates.",
    status: "status",
    datasets: "datasets",
    category: "category",
    decision: "decision",
    grounds: "exemption grounds",
    approval: "approval",
    reference: "reference",
    title: "title",
    description: "description",
    justification: "justification",
    recommendation: "recommendation",
    business_owner: "business owner",
    dg_im: "DG IM",
    imso: "IMSO",
    priority: "priority",
    planned_date: "planned date",
    first_published: "first published",
    last_published: "last published",
    published_on: "published on",
    timing: "on time or late",
    reason: "reason",
    who_must_act: "who must act",
    month: "month",
    planned: "planned",
    detail: "detail",
    manifest: "manifest",
    plan_note: "plan",
    published: "published",
    overdue: "overdue",
    pending: "pending",
    withheld: "withheld",
    invalid: "invalid manifest",
    release: "release",
    withhold: "withhold",
    unknown: "unknown",
    approved: "approved",
    awaiting: "awaiting",
    not_applicable: "not applicable (withheld)",
    on_time: "on time",
    late_by: "late by",
    awaiting_imso: "awaiting IMSO approval",
    awaiting_imso_since: "awaiting IMSO approval since",
    held_by_screen_on: "held by the security screen on",
    held_on: "held back on",
    failed_on: "failed on",
    withheld_after_planning: "withheld after planning",
    not_run_since_due: "approved and due; no run has published it yet",
    scheduled_for: "scheduled for",
    due_today: "due today",
    due_next_run: "due: the next run publishes it",
    unreadable_manifest: "(unreadable manifest)",
    act_imso: "the IMSO",
    act_business_owner: "the business owner",
    act_operations: "operations (run or fix the pipeline)",
    act_im_team: "the IM team (fix the manifest)",
    chart_title: "Datasets published versus planned, cumulative by month",
    nothing_planned: "Nothing is planned yet.",
    summary: "{published} of the {due} datasets planned by this date are published; {total} are planned in all.",
    month_summary: "In {month}: {published} published ({on_time} on time, {late} late); {overdue} overdue at the end of the month.",
};

pub static FR: Words = Words {
    report_title: "Inventaire des données ouvertes et rapport d'étape",
    owners_title: "Rapport des responsables opérationnels sur les ressources d'information",
    plan_title: "Plan et calendrier de publication des données ouvertes",
    progress_title: "Rapport d'étape mensuel sur le plan de publication",
    as_of: "En date du",
    resources_in_inventory: "ressources d'information dans l'inventaire",
    none: "Aucun.",
    total: "Total",
    day: "jour",
    days: "jours",
    colon: " : ",
    progress: "Avancement",
    by_category: "Par catégorie d'information",
    by_decision: "Par décision",
    grounds_of_withheld: "Motifs d'exception des ressources non publiées",
    imso_approval: "Approbation du DPGI des ressources recommandées pour publication",
    overdue_heading: "En retard : date prévue passée, non publiées",
    next_releases: "Prochaines publications",
    release_plan_heading: "Plan de publication, par ordre de priorité",
    invalid_manifests: "Manifestes invalides",
    cumulative: "Publiées et prévues, cumul par mois",
    chart_data: "Données du graphique : jeux de données cumulés par mois",
    published_this_month: "Publiées ce mois-ci",
    slipped_this_month: "Glissements du mois : prévues ce mois-ci, non publiées",
    blocked: "Bloquées : en retard, avec le motif et qui doit agir",
    planned_next_month: "Prévues le mois prochain",
    approvals_chain: "Approbations",
    plan_approval_note: "Les approbations de chaque ligne sont celles inscrites dans son manifeste : la recommandation du responsable opérationnel, l'examen du directeur général de la gestion de l'information et l'approbation du dirigeant principal de la gestion de l'information, avec leurs dates.",
    owners_intro: "Pour chaque catégorie d'information : les ressources à valeur opérationnelle, la recommandation du responsable opérationnel de les publier ou non, sa justification et ses motifs d'exception, et les approbations avec leurs dates.",
    status: "état",
    datasets: "jeux de données",
    category: "catégorie",
    decision: "décision",
    grounds: "motifs d'exception",
    approval: "approbation",
    reference: "référence",
    title: "titre",
    description: "description",
    justification: "justification",
    recommendation: "recommandation",
    business_owner: "responsable opérationnel",
    dg_im: "DG GI",
    imso: "DPGI",
    priority: "priorité",
    planned_date: "date prévue",
    first_published: "première publication",
    last_published: "dernière publication",
    published_on: "publiée le",
    timing: "à temps ou en retard",
    reason: "motif",
    who_must_act: "qui doit agir",
    month: "mois",
    planned: "prévues",
    detail: "détail",
    manifest: "manifeste",
    plan_note: "plan",
    published: "publiée",
    overdue: "en retard",
    pending: "en attente",
    withheld: "non publiée",
    invalid: "manifeste invalide",
    release: "publier",
    withhold: "ne pas publier",
    unknown: "inconnue",
    approved: "approuvée",
    awaiting: "en attente",
    not_applicable: "sans objet (non publiée)",
    on_time: "à temps",
    late_by: "en retard de",
    awaiting_imso: "en attente de l'approbation du DPGI",
    awaiting_imso_since: "en attente de l'approbation du DPGI depuis le",
    held_by_screen_on: "retenue par le filtrage de sécurité le",
    held_on: "retenue le",
    failed_on: "échec le",
    withheld_after_planning: "non publiée après planification",
    not_run_since_due: "approuvée et due; aucune exécution ne l'a encore publiée",
    scheduled_for: "prévue pour le",
    due_today: "due aujourd'hui",
    due_next_run: "due : la prochaine exécution la publie",
    unreadable_manifest: "(manifeste illisible)",
    act_imso: "le DPGI",
    act_business_owner: "le responsable opérationnel",
    act_operations: "les opérations (exécuter ou corriger le pipeline)",
    act_im_team: "l'équipe de GI (corriger le manifeste)",
    chart_title: "Jeux de données publiés et prévus, cumul par mois",
    nothing_planned: "Rien n'est encore prévu.",
    summary: "{published} des {due} jeux de données prévus à cette date sont publiés; {total} sont prévus au total.",
    month_summary: "En {month} : {published} publiés ({on_time} à temps, {late} en retard); {overdue} en retard à la fin du mois.",
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_months_are_written_in_the_language() {
        let d: NaiveDate = "2026-11-30".parse().unwrap();
        assert_eq!(Lang::En.long_date(d), "30 November 2026");
        assert_eq!(Lang::Fr.long_date(d), "30 novembre 2026");
        assert_eq!(Lang::Fr.month(d), "novembre 2026");
        assert_eq!(Lang::En.late_by(1), "late by 1 day");
        assert_eq!(Lang::Fr.late_by(3), "en retard de 3 jours");
    }
}
