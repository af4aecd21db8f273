"""Scoring: structured signals, text in the right fields only, reasons, exclusions and what did not count."""

from __future__ import annotations

from db.record import Buyer, Lot
from monitor.classify import Rules, classify
from tests.classify.conftest import record


def test_innovation_partnership_procedure_alone_is_innovative(rules: Rules) -> None:
    result = classify(record({"eng": "Cleaning services"}, procedure_type="innovation"), rules)
    assert result.label == "innovative"
    (reason,) = result.reasons
    assert (reason.signal_id, reason.kind, reason.matched) == (
        "proc_innovation_partnership",
        "structured",
        "innovation",
    )


def test_every_bt776_code_counts_including_legacy_ones(rules: Rules) -> None:
    for code in ("mar-nov", "prod-innov", "proc-innov", "rd-act", "org-nov", "buy-eff", "fp-requ", "other"):
        result = classify(record({"eng": "Supplies"}, lot_signals={"BT-776": [code]}), rules)
        assert result.score > 0, code
        assert result.reasons[0].field == "BT-776 (lot LOT-0001)"


def test_structured_signals_of_every_kind(rules: Rules) -> None:
    cases = [
        ({"lot_signals": {"BT-06": ["inn-pur"]}}, "strategic_innovative_purchase"),
        ({"subtype": "E1", "procedure_type": None}, "notice_premarket_consultation"),
        ({"subtype": "24"}, "notice_design_contest"),
        ({"signals": {"BT-136": ["rd"]}}, "direct_award_rd"),
        ({"cpv": "73120000"}, "cpv_rd_core"),
        ({"cpv": "73220000"}, "cpv_rd_general"),
        ({"lot_signals": {"BT-63": ["allowed"]}}, "variants_allowed"),
        ({"national": {"innovationConsidered": True}}, "hilma_innovation_considered"),
        ({"signals": {"hilma:solutionNewToMarketOrIndustry": ["true"]}}, "hilma_new_to_market"),
        ({"procedure_type": "comp-dial"}, "proc_competitive_dialogue"),
    ]
    for kwargs, signal in cases:
        result = classify(record({"eng": "Supplies"}, **kwargs), rules)
        assert [r.signal_id for r in result.reasons] == [signal], kwargs


def test_denied_variants_do_not_count(rules: Rules) -> None:
    result = classify(record({"eng": "Road works"}, lot_signals={"BT-63": ["not-allowed"]}), rules)
    assert result.reasons == [] and result.label == "none"


def test_thresholds_come_from_the_rules(rules: Rules) -> None:
    text = {"fin": "Kaupunki käy markkinavuoropuhelua ja pilotoi ratkaisun."}
    result = classify(record({"fin": "Palvelu"}, text), rules)
    assert result.score == 4.5 and result.label == "possible"
    stricter = rules.config.model_copy(
        update={"thresholds": rules.config.thresholds.model_copy(update={"possible": 4.6})}
    )
    assert classify(record({"fin": "Palvelu"}, text), Rules.from_config(stricter)).label == "none"


def test_title_counts_more_and_each_signal_counts_once(rules: Rules) -> None:
    result = classify(
        record(
            {"fin": "Markkinavuoropuhelu"},
            {"fin": "Markkinavuoropuhelu järjestetään. Markkinavuoropuhelussa."},
        ),
        rules,
    )
    (reason,) = result.reasons
    assert reason.field == "title" and reason.weight == 2.5 * 1.5
    assert sum("already counted once" in n.why for n in result.not_counted) == 2


def test_reasons_carry_field_matched_text_snippet_and_weight(rules: Rules) -> None:
    result = classify(
        record(
            {"fin": "Kotihoidon palvelut"},
            {"fin": "Hankinta toteutetaan innovaatiokumppanuutena, ja sitä edeltää markkinavuoropuhelu."},
        ),
        rules,
    )
    by_id = {r.signal_id: r for r in result.reasons}
    partnership = by_id["innovation_partnership"]
    assert partnership.field == "description" and partnership.matched == "innovaatiokumppanuutena"
    assert "toteutetaan innovaatiokumppanuutena, ja" in partnership.snippet
    assert partnership.weight == 5.0 and partnership.lang == "fin"
    assert any("inside the stronger match innovation_partnership" in n.why for n in result.not_counted)
    assert (
        result.label == "innovative"
        and result.to_dict()["reasons"][0]["signal_id"] == "innovation_partnership"
    )


def test_lot_texts_are_read_with_their_own_multiplier(rules: Rules) -> None:
    lot = Lot(lot_id="LOT-0002", title={"eng": "Prototype of a wave energy converter"})
    result = classify(record({"eng": "Energy"}, lots=[lot]), rules)
    (reason,) = result.reasons
    assert reason.field == "lots[LOT-0002].title" and reason.weight == 2.5 * 1.3


def test_buyer_names_are_never_read(rules: Rules) -> None:
    buyers = [Buyer(name="Forum Virium Helsinki, Innovation Company of the City of Helsinki")]
    result = classify(record({"eng": "Cleaning"}, buyers=buyers), rules)
    assert result.reasons == [] and result.excluded == []


def test_exclusions_and_negations_are_reported(rules: Rules) -> None:
    result = classify(
        record(
            {"fin": "Vartiointi"},
            {"fin": "Innovaatiotalo Oy:n tilojen vartiointi. Vaihtoehtoisia tarjouksia ei hyväksytä."},
        ),
        rules,
    )
    assert result.label == "none" and result.reasons == []
    assert [(e.rule, e.text) for e in result.excluded] == [("organisation_names", "Innovaatiotalo Oy")]
    (negated,) = result.not_counted
    assert negated.signal_id == "variants_text" and "negated by 'ei'" in negated.why


def test_same_fact_is_not_counted_twice(rules: Rules) -> None:
    result = classify(
        record(
            {"eng": "Ticketing"}, {"eng": "Awarded through competitive dialogue."}, procedure_type="comp-dial"
        ),
        rules,
    )
    assert result.score == 3.0 and result.label == "possible"
    assert "same fact as structured signal proc_competitive_dialogue" in result.not_counted[0].why


def test_structured_veto_drops_rd_cpv_for_a_survey(rules: Rules) -> None:
    result = classify(record({"fin": "Asiakastyytyväisyystutkimus"}, cpv="73200000"), rules)
    assert result.reasons == []
    assert result.not_counted[0].signal_id == "cpv_rd_general" and "vetoed" in result.not_counted[0].why


def test_text_score_is_capped(rules: Rules) -> None:
    text = {
        "eng": "Innovation partnership. Pre-commercial procurement. Market dialogue. Prototype. "
        "Pilot project. Co-creation. Design contest. Product development."
    }
    result = classify(record({"eng": "x"}, text), rules)
    assert result.text_score == rules.config.thresholds.max_text_score


def test_rescore_from_stored_hits_equals_a_full_classification(rules: Rules) -> None:
    from monitor.classify.evaluate import load_labels
    from monitor.classify.scorer import rescore
    from tests.classify.conftest import LABELS_FILE

    cfg = rules.config
    keywords = [k.model_copy(update={"weight": k.weight * 1.7}) if k.weight < 3 else k for k in cfg.keywords]
    thresholds = cfg.thresholds.model_copy(update={"possible": 2.0})
    reweighted = Rules.from_config(cfg.model_copy(update={"keywords": keywords, "thresholds": thresholds}))
    assert reweighted.matcher_version == rules.matcher_version and reweighted.version != rules.version
    changed = 0
    for item in load_labels(LABELS_FILE):
        rec = item.to_record()
        stored = classify(rec, rules).to_dict()
        again = rescore(rec, stored, reweighted)
        assert again is not None
        assert again.to_dict() == classify(rec, reweighted).to_dict(), item.id
        changed += again.label != stored["label"]
    assert changed > 0  # the re-weighting really changed labels, so the comparison means something
    other_words = cfg.keywords[0].model_copy(update={"en": None})
    edited = Rules.from_config(cfg.model_copy(update={"keywords": [other_words, *cfg.keywords[1:]]}))
    assert rescore(rec, stored, edited) is None


def test_hilma_answer_and_the_bt776_code_it_produced_count_once(rules: Rules) -> None:
    signals = {"BT-776": ["mar-nov"], "hilma:solutionNewToMarketOrIndustry": ["true"]}
    result = classify(record({"fin": "Siivous"}, lot_signals=signals), rules)
    assert [r.signal_id for r in result.reasons] == ["bt776_new_to_market"]
    assert result.score == 3.0 and result.label == "possible"
    assert "same fact as structured signal bt776_new_to_market" in result.not_counted[0].why
