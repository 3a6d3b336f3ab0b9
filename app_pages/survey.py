"""The survey a stakeholder (or internal assessor) answers from a link: /survey?token=...

Shows nothing but the respondent's own form. Answers live in the session while being given,
are saved as a draft with a personal link on every change, and are recorded on submission.
"""

import streamlit as st

from app_pages.common import get_engine
from core.textsafety import markdown_literal
from services import responding
from survey import i18n
from survey.errors import AlreadySubmitted, IncompleteAnswers, LinkUnavailable, UnknownLink
from survey.responding import Answers, answers_from_draft, missing_topics

DONT_KNOW = "dont_know"
state = st.session_state
st.set_page_config(layout="centered", page_title=i18n.text(state.get("survey_lang"), "page_title"))
engine = get_engine()
token = st.query_params.get("token")


def notice(name: str, *languages: str) -> None:
    for language in languages or tuple(i18n.LANGUAGES):
        st.info(i18n.text(language, name))
    st.stop()


try:
    visit = responding.visit(engine=engine, token=token)
except UnknownLink:
    notice("invalid_link")
target, form = visit.target, visit.form

if state.get("survey_invitation") != target.invitation_id:  # a new link in this browser session
    for name in [k for k in state if str(k).startswith("survey_")]:
        del state[name]
    state.survey_invitation = target.invitation_id
    state.survey_lang = i18n.language_or_default(target.language)
    state.survey_answers = answers_from_draft(target.draft).model_dump()
    state.survey_saved = state.survey_answers
    state.survey_resumed = bool(target.draft) and target.accepts_answers
    state.survey_missing = []

lang = (
    st.segmented_control(
        "Language / 语言",
        list(i18n.LANGUAGES),
        format_func=lambda code: i18n.LANGUAGES[code],
        key="survey_lang",
        required=True,
    )
    or i18n.DEFAULT_LANGUAGE
)  # never empty: a choice is required
if state.get("survey_done"):
    st.success(i18n.text(lang, "thanks"))
    st.stop()
if target.submitted:
    notice("already_submitted", lang)
if not target.accepts_answers:
    notice("closed", lang)

answers = Answers.model_validate(state.survey_answers)
dimension = form.dimension
st.title(i18n.text(lang, "title", dimension))
st.markdown(i18n.text(lang, "who", year=form.year))
st.markdown(i18n.text(lang, "why", dimension))
st.markdown(i18n.text(lang, "answering_as", group=markdown_literal(form.group_name[lang])))
st.markdown(i18n.text(lang, "privacy"))
st.markdown(i18n.text(lang, "time", minutes=i18n.minutes_needed(len(form.topics)), topics=len(form.topics)))
if target.is_open:
    st.warning(i18n.text(lang, "open_link"))
if state.survey_resumed:
    st.success(i18n.text(lang, "resumed"))
labels = dict(zip(form.values(), form.labels[lang], strict=True))
st.caption(
    i18n.text(
        lang,
        "scale_hint",
        low=f"{form.scale_min} ({labels[form.scale_min]})",
        high=f"{form.scale_max} ({labels[form.scale_max]})",
    )
)
progress = st.empty()


def rating_label(option: int | str) -> str:
    if isinstance(option, str):  # DONT_KNOW
        return i18n.text(lang, "dont_know")
    return f"{option} · {labels[option]}" if labels[option] else str(option)


for number, topic in enumerate(form.topics, start=1):
    st.divider()
    st.subheader(f"{number}. {markdown_literal(topic.name[lang])}", anchor=False)
    st.caption(markdown_literal(topic.description[lang]))
    key = f"survey_rate_{lang}_{topic.key}"
    if key not in state:
        given = answers.ratings.get(topic.key)
        state[key] = None if topic.key not in answers.ratings else DONT_KNOW if given is None else given
    options: list[int | str] = [*form.values(), DONT_KNOW]
    choice = st.radio(form.question[lang], options, format_func=rating_label, key=key, horizontal=True)
    if choice is None:
        answers.ratings.pop(topic.key, None)
        if topic.key in state.survey_missing:
            st.error(i18n.text(lang, "required"))
    else:
        answers.ratings[topic.key] = None if choice == DONT_KNOW else int(choice)
    comment_key = f"survey_comment_{lang}_{topic.key}"
    state.setdefault(comment_key, answers.comments.get(topic.key, ""))
    comment = st.text_input(i18n.text(lang, "comment"), key=comment_key, max_chars=1000)
    if comment.strip():
        answers.comments[topic.key] = comment
    else:
        answers.comments.pop(topic.key, None)

st.divider()
state.setdefault(f"survey_suggestion_{lang}", answers.suggestion)
answers.suggestion = st.text_area(
    i18n.text(lang, "suggestion"), key=f"survey_suggestion_{lang}", max_chars=2000
)
answered = len(form.topics) - len(missing_topics(form, answers))
progress.progress(
    answered / len(form.topics), text=i18n.text(lang, "progress", answered=answered, total=len(form.topics))
)
state.survey_answers = answers.model_dump()


def save() -> bool:
    """Keep the answers as a draft of the personal link; False when the link no longer takes them."""
    try:
        responding.save_draft(engine=engine, token=token, answers=answers)
    except LinkUnavailable:
        return False
    state.survey_saved = state.survey_answers
    return True


if not target.is_open and state.survey_answers != state.survey_saved and not save():
    st.rerun()
saving = not target.is_open and st.button(i18n.text(lang, "save"), key="survey_save")
if saving and save():
    st.success(i18n.text(lang, "saved"))
if state.survey_missing and missing_topics(form, answers):
    st.error(i18n.text(lang, "missing", count=len(missing_topics(form, answers))))
if st.button(i18n.text(lang, "submit"), type="primary", key="survey_submit"):
    try:
        responding.submit(engine=engine, token=token, answers=answers)
        state.survey_done = True
    except IncompleteAnswers as problem:
        state.survey_missing = problem.topics
    except (AlreadySubmitted, LinkUnavailable):
        pass  # the next run shows why the link takes no answers
    st.rerun()
