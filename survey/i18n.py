"""Every text a respondent reads, in English and Simplified Chinese.

Texts that depend on who answers (stakeholders rate `importance`, internal assessors rate
`business_impact`) have one entry per dimension, ``"<name>.<dimension>"``, and fall back to
the `importance` wording for dimensions added later.
"""

from __future__ import annotations

LANGUAGES = {"en": "English", "zh": "中文"}
DEFAULT_LANGUAGE = "en"

STRINGS: dict[str, dict[str, str]] = {
    "en": {
        "page_title": "Stakeholder survey",
        "language": "Language",
        "title.importance": "Which sustainability topics matter to you?",
        "title.business_impact": "How significant is each topic to our business?",
        "who": (
            "**Who is asking.** The sustainability (ESG) committee of the company, for its "
            "materiality assessment {year}."
        ),
        "why.importance": (
            "**Why.** Every year we ask the people we work with which environmental, social and "
            "governance topics matter most. Your answers decide which topics we manage and report "
            "on first."
        ),
        "why.business_impact": (
            "**Why.** As an internal assessor you rate how significant each topic is to the "
            "company's business: its risks, opportunities and effect on results. Your ratings "
            "form the business axis of the materiality matrix, next to the stakeholders' view."
        ),
        "answering_as": "You are answering as: **{group}**.",
        "privacy": (
            "**Your privacy.** We store no name, e-mail or IP address with your answers. Results "
            "are only reported for whole groups, never for one person. Only the committee sees the "
            "results. You can ask for your answers to be deleted at any time."
        ),
        "time": "**Time.** About {minutes} minutes for {topics} topics.",
        "scale_hint": 'Choose a rating from {low} to {high} for each topic, or "Don\'t know".',
        "dont_know": "Don't know",
        "comment": "Comment (optional)",
        "suggestion": "An important topic we missed? (optional)",
        "progress": "{answered} of {total} topics answered",
        "save": "Save and continue later",
        "saved": "Your answers are saved. Open the same link again to continue where you left off.",
        "resumed": "Welcome back: your saved answers are filled in below.",
        "submit": "Submit my answers",
        "required": 'Please choose a rating or "Don\'t know" for this topic.',
        "missing": "{count} topic(s) still need an answer; they are marked below.",
        "thanks": "Thank you! Your answers have been recorded.",
        "already_submitted": (
            "This survey has already been submitted from this link. Thank you for taking part!"
        ),
        "closed": "This survey is not accepting answers at the moment. Thank you for your interest.",
        "invalid_link": (
            "This link cannot be used. Please open the complete link from your invitation, "
            "or contact the person who sent it."
        ),
        "use_your_link": "Taking part in the survey? Please open the link from your invitation.",
        "about": "About this survey: who is asking, why, and your privacy",
        "contact": "Questions, or a request to delete your answers:",
        "scale_legend": "Rating scale",
        "missing_summary": "{count} topic(s) still need an answer",
        "missing_here": "{count} topic(s) still need an answer; this is the first.",
        "jump_missing": "Go to the first unanswered topic",
        "autosaved": "Your answers are saved as you go.",
        "autosave_failed": "Could not save just now; your answers are still on this page.",
        "try_again_title": "Please try again in a minute",
        "try_again": (
            "We could not store your answers just now. Nothing is lost: your answers are still "
            "on this page. Please wait a minute and press the button again."
        ),
        "busy": "The survey is very busy at the moment. Please try again in a minute.",
        "stale_form": (
            "This form could not be checked (it may come from another page). Your answers are "
            "below: please check them and press the button again."
        ),
        "preview": "Preview for the committee: this is what the group sees. Nothing is recorded.",
        "topic_count": "Topic {number} of {total}",
        "skip_to_questions": "Skip to the questions",
        "link_problem_title": "This link cannot be used",
        "done_title": "Thank you",
        "open_link": (
            "This is an open link that anyone can use: your answers are not saved until you submit, "
            "so please answer in one go."
        ),
    },
    "zh": {
        "page_title": "利益相关方调查",
        "language": "语言",
        "title.importance": "哪些可持续发展议题对您重要？",
        "title.business_impact": "各议题对公司业务的影响有多大？",
        "who": "**调查方。** 公司可持续发展（ESG）委员会，用于{year}年度重要性评估。",
        "why.importance": (
            "**目的。** 我们每年都会询问与我们合作的各方，哪些环境、社会及治理议题最为重要。"
            "您的回答将决定我们优先管理和披露哪些议题。"
        ),
        "why.business_impact": (
            "**目的。** 作为内部评估人员，请您评估各议题对公司业务的重要性，包括风险、机遇及对业绩的影响。"
            "您的评分将构成重要性矩阵中的业务维度，与利益相关方的观点并列呈现。"
        ),
        "answering_as": "您的身份：**{group}**。",
        "privacy": (
            "**隐私保护。** 我们不会随答案保存您的姓名、电子邮箱或 IP 地址。结果仅按群体汇总报告，"
            "绝不针对个人。只有委员会可以查看结果。您可以随时要求删除您的答案。"
        ),
        "time": "**所需时间。** 共 {topics} 个议题，约 {minutes} 分钟。",
        "scale_hint": "请为每个议题选择 {low} 至 {high} 的评分，或选择“不清楚”。",
        "dont_know": "不清楚",
        "comment": "评论（可选）",
        "suggestion": "我们是否遗漏了重要议题？（可选）",
        "progress": "已回答 {answered}/{total} 个议题",
        "save": "保存，稍后继续",
        "saved": "您的答案已保存。再次打开同一链接即可继续作答。",
        "resumed": "欢迎回来：您已保存的答案已填入下方。",
        "submit": "提交答案",
        "required": "请为此议题选择一个评分或“不清楚”。",
        "missing": "还有 {count} 个议题尚未作答，已在下方标出。",
        "thanks": "谢谢！您的答案已记录。",
        "already_submitted": "此链接的问卷已经提交。感谢您的参与！",
        "closed": "本调查目前不接受作答。感谢您的关注。",
        "invalid_link": "此链接无法使用。请打开邀请中的完整链接，或联系发送邀请的人员。",
        "use_your_link": "参与调查？请打开邀请中的链接。",
        "about": "关于本调查：调查方、目的及隐私保护",
        "contact": "如有疑问或希望删除您的答案，请联系：",
        "scale_legend": "评分标准",
        "missing_summary": "还有 {count} 个议题尚未作答",
        "missing_here": "还有 {count} 个议题尚未作答；这是第一个。",
        "jump_missing": "转到第一个未作答的议题",
        "autosaved": "您的答案会随时自动保存。",
        "autosave_failed": "暂时无法保存；您的答案仍保留在本页。",
        "try_again_title": "请一分钟后重试",
        "try_again": (
            "暂时无法保存您的答案。没有任何内容丢失：您的答案仍保留在本页。请稍等一分钟后再次点击按钮。"
        ),
        "busy": "调查目前访问量较大，请一分钟后重试。",
        "stale_form": "无法核验此表单（可能来自其他页面）。您的答案如下：请检查后再次点击按钮。",
        "preview": "委员会预览：这是该群体看到的问卷。不会记录任何内容。",
        "topic_count": "第 {number} 个议题，共 {total} 个",
        "skip_to_questions": "跳到问题",
        "link_problem_title": "此链接无法使用",
        "done_title": "谢谢",
        "open_link": "这是一个任何人都可以使用的公开链接：提交之前答案不会被保存，请一次完成作答。",
    },
}


def language_or_default(language: str | None) -> str:
    return language if language in STRINGS else DEFAULT_LANGUAGE


def text(language: str | None, name: str, dimension: str | None = None, **values: object) -> str:
    """The text `name` in `language` (English when unknown), filled with `values`."""
    strings = STRINGS[language_or_default(language)]
    if dimension is not None:
        name = f"{name}.{dimension}" if f"{name}.{dimension}" in strings else f"{name}.importance"
    return strings[name].format(**values) if values else strings[name]


def minutes_needed(topics: int) -> int:
    """About 15 seconds a topic, read and rated, plus a minute for the introduction."""
    return max(1, round(topics * 15 / 60) + 1)
