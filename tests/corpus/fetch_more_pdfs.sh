#!/usr/bin/env bash
# fetch_more_pdfs.sh DEST [HOLDOUT_DEST]
#
# Extra REAL third-party PDFs chosen for clause-tree failure classes (see
# tests/corpus/EXTRA.md): label lines before titles ("Part I", "Chapter 4",
# "CHAPTER / ONE"), printed numbers missing from the bookmarks, outlines
# without numbers, truly empty pages, math in headings, bookmarks without a
# position (/Fit), rotated pages; and (issue 12) references in a document's own
# style, external citations, quoted licences, LaTeX code lines, line-numbered
# listings, consecutive small tables, specs with their schema.
#
#   DEST           development set (e.g. .cache/corpus, next to the shared corpus)
#   HOLDOUT_DEST   hold-out set (e.g. .cache/holdout); also $CORPUS_HOLDOUT_DIR.
#                  Without it the hold-out is not fetched. Do not open the
#                  hold-out files while developing: it measures generalisation.
#
# Only ordinary package clients are used: `apt-get download PKG=VERSION` and
# `dpkg-deb --fsys-tarfile | tar -x` of the chosen paths (nothing is installed).
# A pinned version that Debian no longer serves falls back to the current
# candidate with a warning; a sha256 that differs from the recorded one is a
# warning too (column sha_match of the manifest).
#
# Environment knobs:
#   CORPUS_HOLDOUT_DIR=/path  same as the second argument
#   CORPUS_SKIP_DEV=1         fetch only the hold-out (DEST may then be "-")
#   CORPUS_VENV=/path         venv with (or to receive) pypdfium2 for the manifest;
#                             default: the repo's .venv if it has pypdfium2, else a temp venv
#   CORPUS_KEEP_WORK=1        keep the temporary download directory
#
# Output: DEST/*.pdf, DEST/licenses/*.copyright, DEST/MANIFEST-extra.tsv
#         (file, pages, bookmarks, sha256, classes, source, + set, views, ...);
#         DEST/schemas/* + DEST/SCHEMAS-extra.tsv (schemas shipped with a spec);
#         the same in HOLDOUT_DEST. About 1,434 MB of .deb for the dev set (593 MB of it
#         texlive-latex-extra-doc, unpacked in ~30 s; 213 MB texlive-publishers-doc); the hold-out
#         alone 1,380 MB in 62 s (stop 42; 146 MB of it texlive-bibtex-extra, texlive-music and
#         texlive-plain-generic, which only the hold-out uses); ~2-3 min.
set -euo pipefail

DEST=${1:?"usage: $0 DEST [HOLDOUT_DEST]"}
HOLDOUT=${2:-${CORPUS_HOLDOUT_DIR:-}}
SKIP_DEV=${CORPUS_SKIP_DEV:-0}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)

log() { echo "[fetch_more] $*" >&2; }
if [ "$SKIP_DEV" != 1 ]; then mkdir -p "$DEST/licenses"; DEST=$(cd "$DEST" && pwd); fi
if [ -n "$HOLDOUT" ]; then mkdir -p "$HOLDOUT/licenses"; HOLDOUT=$(cd "$HOLDOUT" && pwd); fi
if [ "$SKIP_DEV" = 1 ] && [ -z "$HOLDOUT" ]; then log "CORPUS_SKIP_DEV=1 but no hold-out folder given"; exit 2; fi

WORK=$(mktemp -d -t fetch_more.XXXXXX)
cleanup() { if [ "${CORPUS_KEEP_WORK:-0}" = 1 ]; then log "work dir kept: $WORK"; else rm -rf "$WORK"; fi; }
trap cleanup EXIT
mkdir -p "$WORK/debs" "$WORK/x"

# ---------------------------------------------------------------------------
# Catalogue (|-separated):
#   set | dest name | package | version | path inside package | classes | sha256
# (a path ending in .gz is decompressed; the sha256 is that of the PDF)
# classes: label_before_title, printed_number_unnumbered_bookmark,
#   outline_without_numbers, blank_pages, heading_as_equation,
#   bookmark_without_position, rotated_or_cropped, bad_destination;
#   issue 12: own_style_references, external_citations, quoted_licence,
#   tex_code_lines, numbered_listing, consecutive_tables, schema_vocabulary;
#   issue 11 follow-ups: see tests/corpus/EXTRA.md (heading_in_paragraph, side_headings,
#   outdented_headings, heading_beside_figure ...).
# A dest name under schemas/ is a schema file (classes = schema_for:PDF): it is
# copied to DEST/schemas/ and listed in DEST/SCHEMAS-extra.tsv, not in the
# PDF manifest.
# ---------------------------------------------------------------------------
CATALOGUE=$(cat <<'EOF'
dev|tl-memman.pdf|texlive-latex-recommended-doc|2022.20230122-3|usr/share/doc/texlive-doc/latex/memoir/memman.pdf|label_before_title,blank_pages,bad_destination|9ac1b662ce46a3a8eeb74386c76b440687564c02b9783b8f5d490af4b5729277
dev|tl-beameruserguide.pdf|texlive-latex-recommended-doc|2022.20230122-3|usr/share/doc/texlive-doc/latex/beamer/beameruserguide.pdf|label_before_title,tex_code_lines|9a1f87ab1036dec58ac19b59a27607d5ed51d115103cec41f8fd4d963ef9eb68
dev|tl-semsamp2.pdf|texlive-latex-recommended-doc|2022.20230122-3|usr/share/doc/texlive-doc/latex/seminar/semsamp2.pdf|rotated_or_cropped|ad3593e0ceb4dfbc8beacf16e0ad5439ed0da8494041cd21f71ec358ed680bcd
dev|deb-gnuplot.pdf|gnuplot-doc|5.4.4+dfsg1-2|usr/share/doc/gnuplot/gnuplot.pdf|label_before_title,outline_without_numbers|df68dd0613f043141512fc4436d17aaf96727d5a758d85233915ac5056a97206
dev|deb-glpk.pdf|glpk-doc|5.0-1|usr/share/doc/glpk-doc/glpk.pdf|label_before_title,printed_number_unnumbered_bookmark,outline_without_numbers|002d0328518a17b58919a2860b7f72d52594a73008f72c85f0dd70dfa138250f
dev|deb-maximabook.pdf|maxima-doc|5.46.0-11|usr/share/doc/maxima-doc/maximabook-19-Sept-2004.pdf.gz|label_before_title,printed_number_unnumbered_bookmark,outline_without_numbers,bad_destination,shared_destination|022b4e349977d8ac6493259215092644384b76209aa79f7c7ca70902eda9b6c2
dev|deb-debian-reference.pdf|debian-reference-en|2.100|usr/share/debian-reference/debian-reference.en.pdf|label_before_title,printed_number_unnumbered_bookmark,outline_without_numbers|32775deeca0770ac25282b0c894cbaae83f4dd4ab00e891b94e8f009c0366728
dev|deb-reportlab-userguide.pdf|python-reportlab-doc|3.6.12-1+deb12u1|usr/share/doc/python-reportlab-doc/reportlab-userguide.pdf|bookmark_without_position|91ad5429d7b2907b8efefd7b95facfe2fb01ec31b8cefb024e47b0a7ac713420
dev|deb-pari-libpari.pdf|pari-doc|2.15.2-1|usr/share/pari/doc/libpari.pdf|label_before_title,heading_as_equation|5a8ee8eb99dfbdc7f0f61c267b331038df3c647aaafabed97315f4529f0330dc
dev|deb-octave.pdf|octave-doc|7.3.0-2|usr/share/doc/octave/octave.pdf|blank_pages,printed_number_unnumbered_bookmark,own_style_references,quoted_licence,shared_destination|ddd24489f87b46fbf99c15cc34aa865ae66775fb7c21927f7f2d6be9470becb8
dev|deb-xfig-howto.pdf|xfig-doc|1:3.2.8b-2|usr/share/doc/xfig/xfig-howto.pdf|rotated_or_cropped|807fa165ab27848bcf29b7869729af400d5fa8e669f8ce92c34be8a0532cddb5
dev|deb-autoconf.pdf|autoconf-doc|2.71-3|usr/share/doc/autoconf/autoconf.pdf.gz|own_style_references,external_citations,quoted_licence|69fb25eabaffeb85f41c7fbbd552df154457c344d5c8288b6c5386124a32f767
dev|deb-docbook5-spec.pdf|docbook5-xml|5.0-3|usr/share/doc/docbook5-xml/docs/docbook-5.0-spec-cd-01.pdf.gz|schema_vocabulary,external_citations|a3555f07b06b0ee33a35f069ae7c16950e318d8b902da4bdc30af997de6fa4bb
dev|schemas/docbook-5.0.rng|docbook5-xml|5.0-3|usr/share/xml/docbook/schema/rng/5.0/docbook.rng|schema_for:deb-docbook5-spec.pdf,deb-docbook5-howto.pdf|93e9d4a35a423488c909b97d3e43a9e7f5c7a3ca1320d8287d80de06c1de35d5
dev|schemas/docbook-5.0.xsd|docbook5-xml|5.0-3|usr/share/xml/docbook/schema/xsd/5.0/docbook.xsd|schema_for:deb-docbook5-spec.pdf,deb-docbook5-howto.pdf|712815212f71635ca083f68096bf4315ca23e39faf3c357f2dbe5407db1ab895
dev|deb-docbook5-howto.pdf|docbook5-xml|5.0-3|usr/share/doc/docbook5-xml/docs/howto.pdf.gz|schema_vocabulary|57ef2fc2bc7c37e0884e4bc34a63eb75d515d0ccfb9eee082a07a71cb7a5a8e9
dev|deb-gpsbabel.pdf|gpsbabel-doc|1.8.0+ds-5|usr/share/doc/gpsbabel/gpsbabel.pdf.gz|consecutive_tables,page_typed_as_table|8932386078ad6c97081ab62332f0af11f74a48176bb1b94a19d2d25c530dc690
dev|tl-mathtools.pdf|texlive-latex-recommended-doc|2022.20230122-3|usr/share/doc/texlive-doc/latex/mathtools/mathtools.pdf|tex_code_lines|3f85578545dedbe9ba351fbd568e53e60890585f0061efb2ab94272ad9035d97
dev|tl-fontspec-code.pdf|texlive-latex-recommended-doc|2022.20230122-3|usr/share/doc/texlive-doc/latex/fontspec/fontspec-code.pdf|numbered_listing,tex_code_lines|a48c7084c39a2a5233823f8a1a2ee0c59cdffe44e44b263640812a5722241220
dev|tl-microtype-code.pdf|texlive-latex-recommended-doc|2022.20230122-3|usr/share/doc/texlive-doc/latex/microtype/microtype-code.pdf|index_letter_groups,changelog_bookmarks,page_typed_as_table,external_bookmarks|7e700c552281b5800335178a8674c5a155601f600388bdf482dfec7a645e2ac6
dev|tl-csquotes.pdf|texlive-latex-extra-doc|2022.20230122-4|usr/share/doc/texlive-doc/latex/csquotes/csquotes.pdf|changelog_bookmarks,destination_inside_block|cc28b3aef1a559d59b9c7d812d1f8c3aef4ca1f099e62a58ab23d8f53b522c7c
dev|tl-keyfloat.pdf|texlive-latex-extra-doc|2022.20230122-4|usr/share/doc/texlive-doc/latex/keyfloat/keyfloat.pdf|index_letter_groups,columns_read_across|5af72996ca09996c95e79dcbf68046fc2da9235c8235e3f019efc9e877952389
dev|tl-ragged2e.pdf|texlive-latex-recommended-doc|2022.20230122-3|usr/share/doc/texlive-doc/latex/ragged2e/ragged2e.pdf|index_letter_groups,columns_read_across|466bbc1a2db8b61e5c7d8e25cae92612559547eb38b09ede894b8abcb4317b2c
dev|tl-dbshow.pdf|texlive-latex-extra-doc|2022.20230122-4|usr/share/doc/texlive-doc/latex/dbshow/dbshow.pdf|changelog_bookmarks,destination_inside_block|e8ccf838e931600ee56617ba59dfc5de1d328f0657e75f84a72938a8271451d6
dev|tl-achemso.pdf|texlive-latex-extra-doc|2022.20230122-4|usr/share/doc/texlive-doc/latex/achemso/achemso.pdf|index_letter_groups,columns_read_across|15ca4c12cbcc67f2d95d11f2ab8926c2ad0643c43747ed96775379b1f5d0cff7
dev|tl-ltnews.pdf|texlive-latex-extra-doc|2022.20230122-4|usr/share/doc/texlive-doc/latex-dev/base/ltnews.pdf|two_column_pages|04a0a45e907841e98dbe24cc1cf16712356921897df5dd5a6a191238dfef6020
dev|tl-thumbs.pdf|texlive-latex-extra-doc|2022.20230122-4|usr/share/doc/texlive-doc/latex/thumbs/thumbs.pdf|contents_clause|abe6564d9b7a6759ffd7c06dd7a2a669956c888b3bd027c03239b21803f7997d
dev|tl-savetrees-sample.pdf|texlive-latex-extra-doc|2022.20230122-4|usr/share/doc/texlive-doc/latex/savetrees/st-sample2e.pdf|bookmark_without_position,bad_destination,repeated_bookmarks|d42f474ebde7b7b8c0a9b5f1ae4ccc499b1bae0c730c51e3739f160cf699c09c
dev|tl-mplibapi.pdf|texlive-metapost-doc|2022.20230122-3|usr/share/doc/texlive-doc/metapost/base/mplibapi.pdf|bookmark_without_position,printed_number_unnumbered_bookmark,outline_without_numbers|6d07526765ada331bce3050e2db33dafafe4489a0ecd40436bd2b307bd340f09
dev|tl-xwatermark-guide.pdf|texlive-latex-extra-doc|2022.20230122-4|usr/share/doc/texlive-doc/latex/xwatermark/xwatermark-guide.pdf|bookmark_without_position,changelog_bookmarks|ce1daa26cc0c989ab9e1d8473b8fd198f496f407cd8fc84727caee832604b5c7
dev|tl-texmate2manual.pdf|texlive-latex-extra-doc|2022.20230122-4|usr/share/doc/texlive-doc/latex/texmate/texmate2manual.pdf|bookmark_without_position|550e922e1329a379b2563cd5afbacc7f020825d0171a3e93857e1a5bffb610a6
dev|tl-comment.pdf|texlive-latex-extra-doc|2022.20230122-4|usr/share/doc/texlive-doc/latex/comment/comment.pdf|bookmark_without_position|dbbeadc63a21f21908d5cea8321f2d1382aa528dbadb1993ef89eb5770ba5785
dev|tl-asmeconf-ode-example.pdf|texlive-publishers-doc|2022.20230122-4|usr/share/doc/texlive-doc/latex/asmeconf/examples/asmeconf-lualatex-ode-example.pdf|destination_under_heading,two_column_pages|735a637ddc4e6a4eae025a989554b961657c911c3ec553cb8a98d5e75691edb0
dev|tl-bjfuthesis.pdf|texlive-publishers-doc|2022.20230122-4|usr/share/doc/texlive-doc/latex/bjfuthesis/documentation/bjfuthesis.pdf|heading_read_late,printed_number_unnumbered_bookmark,outline_without_numbers|9d772c38d6865f0b335105cd7de0527540c703c402a06636c9f543320df96073
dev|tl-fancyvrb-doc.pdf|texlive-latex-recommended-doc|2022.20230122-3|usr/share/doc/texlive-doc/latex/fancyvrb/fancyvrb-doc.pdf|listing_as_image,numbered_listing|ae2935276ca7b2c5004de268dd9e574d2640972627807e3e6b02497e9bae2a18
dev|erl-crypto.pdf|erlang-doc|1:25.2.3+dfsg-1+deb12u4|usr/share/doc/erlang-doc/lib/crypto-5.1.2/doc/pdf/crypto-5.1.2.pdf|function_with_arity,heading_in_caption|c8a762cff8483cd3cbbdf78880a58ae7ac7c822c9acc546e68cf98aeacdd6b90
dev|erl-erl_interface.pdf|erlang-doc|1:25.2.3+dfsg-1+deb12u4|usr/share/doc/erlang-doc/lib/erl_interface-5.3/doc/pdf/erl_interface-5.3.pdf|shared_signatures|5e3e0fe0b9685a75493b079449b8fbb9b0f0e4c080e97cb57561bbff79c6adc4
dev|tl-hustthesis.pdf|texlive-publishers-doc|2022.20230122-4|usr/share/doc/texlive-doc/latex/hustthesis/hustthesis.pdf|index_letter_groups,columns_read_across|f998bb0fe90f7e04f467ab39e2482afede2eabb3f11b8eda28f80ca69eccb593
dev|tl-minitoc.pdf|texlive-latex-extra-doc|2022.20230122-4|usr/share/doc/texlive-doc/latex/minitoc/minitoc.pdf|bookmark_without_position,heading_in_paragraph|9da2ab17b396dd6f8622bc221638b9eadb895589141363a4b749469454bbd40a
dev|tl-lua-widow-control.pdf|texlive-luatex|2022.20230122-3|usr/share/doc/texlive-doc/luatex/lua-widow-control/lua-widow-control.pdf|bookmark_without_position,side_headings|d07640aa75e78ed5d5222d1a0adf9ecc94b41bf1ba7c4d31e4a9c214e93bee80
dev|tl-revtex-aipguide.pdf|texlive-publishers-doc|2022.20230122-4|usr/share/doc/texlive-doc/latex/revtex4-1/aip/aipguide4-1.pdf|contents_beside_text,two_column_pages|dce2df4b283270971cf45f19d52bef3a160ffd72daa89d445039c9d68f641da7
dev|deb-gnucash-guide-it.pdf|gnucash-docs|4.13-1|usr/share/doc/gnucash-docs/gnucash-guide-it.pdf.gz|outdented_headings,page_typed_as_table|ffb2745090dfe8626d3cbfc46d3a8a4128263bbc4d0abd932f8ae952d2538891
dev|tl-tkz-euclide.pdf|texlive-pictures-doc|2022.20230122-3|usr/share/doc/texlive-doc/latex/tkz-euclide/tkz-euclide.pdf|heading_beside_figure,code_beside_figure|a8494680aaf8223e7b2a3ede08d4ed9741280927aa68a8f961ea649109071d30
dev|tl-visualpstricks.pdf|texlive-pictures-doc|2022.20230122-3|usr/share/doc/texlive-doc/latex/visualpstricks/VisualPSTricks.pdf|vector_heavy_pages|f1ac8dcaf3172c9e830246f351c29ec735406e961f5947007484eb4890b64a45
dev|tl-hvfloat-cappos.pdf|texlive-pictures-doc|2022.20230122-3|usr/share/doc/texlive-doc/latex/hvfloat/capPos.pdf|misplaced_destinations|982049be7d491e58d27cd2baac3f84b19d68651f16e8db7f9a2a1c5415dd0107
dev|deb-doxygen-manual.pdf|doxygen-doc|1.9.4-4|usr/share/doc/doxygen/doxygen_manual.pdf|wordless_titles|2418ce24a0ceeeea04b48a68a2ae59973e38b924f6100f9ac8e8ca90e710e2da
dev|deb-lily-snippets.pdf|lilypond-doc-pdf|2.24.1-2|usr/share/doc/lilypond/html/Documentation/snippets.pdf|page_top_destinations,heading_in_paragraph|12803c5693451698d7a325dfa23853bc58d4dcd1e083346b6da45c0c93595449
dev|tl-pdfscreen-manual.pdf|texlive-latex-extra-doc|2022.20230122-4|usr/share/doc/texlive-doc/latex/pdfscreen/manual-screen.pdf|bookmark_without_position,garbled_bookmarks|fda917bfc5df83d1721d6b411c3727f5ff3c1704bafc50f9b73c72a489272ad2
dev|tl-featpostbeamer.pdf|texlive-metapost-doc|2022.20230122-3|usr/share/doc/texlive-doc/metapost/featpost/doc/featpostbeamer.pdf|bookmark_without_position,bad_destination,frame_titles_as_headers|97885a0f348b58f8f0a9dc22869ec83c7729ab3443ea05be8a1e2326188367f6
dev|tl-unicode-math-code.pdf|texlive-latex-recommended-doc|2022.20230122-3|usr/share/doc/texlive-doc/latex/unicode-math/unicode-math-code.pdf|numbered_listing,tex_code_lines,index_letter_groups,gutter_destinations|bfdbdde9946448341a401e49f1c9ec32544f16a9165590599e87772be7b87d47
dev|tl-multicol.pdf|texlive-latex-extra-doc|2022.20230122-4|usr/share/doc/texlive-doc/latex-dev/tools/multicol.pdf|index_letter_groups,columns_in_part_of_page|41dcaa07f7d88de56c47117cc03ccb60e6896e4abd385fea0ee3f42bc17eac4a
dev|tl-tcolorbox.pdf|texlive-latex-extra-doc|2022.20230122-4|usr/share/doc/texlive-doc/latex/tcolorbox/tcolorbox.pdf|bracketed_listings,listing_as_image|893377736696ce06a90970a9f957e201936bf28094a2943add11859b1bc38e18
dev|tl-metanorma.pdf|texlive-latex-extra-doc|2022.20230122-4|usr/share/doc/texlive-doc/latex/metanorma/metanorma.pdf|bracketed_listings|de154fc39f0d81f2e56a3089a9228e4905cf7617da0a8e10ace81ccc5958e45e
holdout|tl-prosper-tour.pdf|texlive-latex-extra-doc|2022.20230122-4|usr/share/doc/texlive-doc/latex/prosper/prosper-tour.pdf|bookmark_without_position|588f8eb32f63fd05fb3cbe9659bc88c55f5262de9b6fbc0be628708b806233a4
holdout|tl-fei.pdf|texlive-publishers-doc|2022.20230122-4|usr/share/doc/texlive-doc/latex/fei/fei.pdf|bookmark_without_position,bad_destination|86fef959d12c0b35ca446b542f9c7c05b2c819ae048cbefc32e81aec8e8f6e4b
holdout|tl-yathesis-code.pdf|texlive-publishers-doc|2022.20230122-4|usr/share/doc/texlive-doc/latex/yathesis/french/code/yathesis-code.pdf|bookmark_without_position|349fe66857b9622f8c7f2bca4dd52e1be6c74d37e6904dd8dd9f77d798946c2e
holdout|tl-pageslts-example.pdf|texlive-latex-extra-doc|2022.20230122-4|usr/share/doc/texlive-doc/latex/pageslts/pageslts-example.pdf|bookmark_without_position|03d87eb4bf722a1fd079c4e5a86cb13fddce18170d54486fd7c36e0569721591
holdout|ctx-mmlprime.pdf|context|2021.03.05.20230120+dfsg-1+deb12u1|usr/share/texmf/doc/context/documents/general/manuals/mmlprime.pdf|bookmark_without_position|4e9fa3507e20ac98435431d9e0a680ee5900226d0c5265e7897b172caaab9a3b
dev|deb-why3-manual.pdf|why3-doc-pdf|1.5.1-1|usr/share/doc/why3-doc-pdf/manual.pdf|label_before_title,printed_number_unnumbered_bookmark,outline_without_numbers,blank_pages|97e30e4ec94e0fe52221faf9ab58d5d959c320acafc4bd2362ed5cd0067dbda2
holdout|deb-siscone-refman.pdf|siscone-doc-pdf|3.0.5-2|usr/share/doc/siscone-doc-pdf/pdf/refman.pdf.gz|label_before_title,printed_number_unnumbered_bookmark,outline_without_numbers,blank_pages|53c94799c44b81abf805171f6370db33b3e3b286f4672f5259cfb5ac1b773dd4
dev|deb-gri.pdf|gri-pdf-doc|2.12.27-1.1|usr/share/doc/gri/gri.pdf.gz|blank_pages,printed_number_unnumbered_bookmark,bad_destination|c9aa03e8456ac05558d0b0f21039327ddca565b9ceea94aa09d1600d7b479b63
holdout|deb-gap-tut.pdf|gap-doc|4.12.1-2|usr/share/gap/doc/tut/manual.pdf|label_before_title,printed_number_unnumbered_bookmark,outline_without_numbers|de1fb229c3f0873992c313e96b052fa221b73f5870a490dc1a5a759149f8226d
holdout|deb-bashref.pdf|bash-doc|5.2.15-2|usr/share/doc/bash/bashref.pdf|own_style_references,quoted_licence|104971d389c0b9b7a261b0b3070a53b0d8cce6db1ffddefcc8423ddda92acd87
holdout|deb-gnu-standards.pdf|gnu-standards|2022.03.23-0.1|usr/share/doc/gnu-standards/standards.pdf.gz|own_style_references,external_citations,quoted_licence|7986330133c982d8b35e14c42f847bf7d19afdc2a080ebf8db9b223c0888021f
holdout|deb-gnutls.pdf|gnutls-doc|3.7.9-2+deb12u7|usr/share/doc/gnutls-doc/gnutls.pdf|external_citations,own_style_references,quoted_licence|d195eaf9663c9e76b580c32624209491455afaf670817e42298ac29c26716f82
holdout|deb-xsdcxx-tree-guide.pdf|xsdcxx|4.0.0-9|usr/share/doc/xsdcxx/cxx/tree/guide/cxx-tree-guide.pdf.gz|schema_vocabulary|b9b36e465b5d7903c49cfe8cc3f1f38033f33333a552014b82b923fa4e4b01a2
holdout|schemas/xsdcxx-tree-hello.xsd|xsdcxx|4.0.0-9|usr/share/doc/xsdcxx/examples/cxx/tree/hello/hello.xsd|schema_for:deb-xsdcxx-tree-guide.pdf|98c5f983a12e68c67eb0c6c4d9bb26e3948298a06992cb0f51e1177821f47f09
holdout|tl-ctable.pdf|texlive-latex-recommended-doc|2022.20230122-3|usr/share/doc/texlive-doc/latex/ctable/ctable.pdf|consecutive_tables,tex_code_lines|f608ca370771ad8fc6c6e28460361b1292c6cbbc177979cd64b1b8bbe2bac5ed
holdout|tl-etoolbox.pdf|texlive-latex-recommended-doc|2022.20230122-3|usr/share/doc/texlive-doc/latex/etoolbox/etoolbox.pdf|tex_code_lines|d3e48222e5b26d15d5b2ac6362b5c48c82ffc87828dbd618ba79f40d7328a0de
dev|tl-etextools.pdf|texlive-latex-extra-doc|2022.20230122-4|usr/share/doc/texlive-doc/latex/etextools/etextools.pdf|changelog_bookmarks|2c1e24255b3f4393c9833deae8eddb146dce37b54b748d083360b0950f207c58
holdout|tl-tagpdf-code.pdf|texlive-latex-extra-doc|2022.20230122-4|usr/share/doc/texlive-doc/latex/tagpdf/tagpdf-code.pdf|index_letter_groups,numbered_listing|379770cf185f7cacf767af64992774564e36551bfbf3928fc0179f968d106384
dev|tl-xcolor.pdf|texlive-latex-recommended-doc|2022.20230122-3|usr/share/doc/texlive-doc/latex/xcolor/xcolor.pdf|index_letter_groups,changelog_bookmarks|d354360b1216cf8c9618571434a34e9e7683c2cec426e6156b4c5fb80af49e41
holdout|tl-grffile.pdf|texlive-latex-recommended-doc|2022.20230122-3|usr/share/doc/texlive-doc/latex/grffile/grffile.pdf|index_letter_groups,changelog_bookmarks|149571f11e1c1b2c599d6539b72c5e6a4d682e608c6a4da19d268ef5453efadf
holdout|tl-imtekda.pdf|texlive-publishers-doc|2022.20230122-4|usr/share/doc/texlive-doc/latex/imtekda/IMTEKda.pdf|index_letter_groups|4a9da9988db9dd41b6b3b045a7fa187cffde51d2a96ecfb4c5eba11d9757cd0c
holdout|tl-microtype.pdf|texlive-latex-recommended-doc|2022.20230122-3|usr/share/doc/texlive-doc/latex/microtype/microtype.pdf|index_letter_groups|87d5dea67dac255eddac75106b3b382e7dc20cf91e493888357664c93a9308f4
holdout|tl-xkeyval.pdf|texlive-latex-recommended-doc|2022.20230122-3|usr/share/doc/texlive-doc/latex/xkeyval/xkeyval.pdf|index_letter_groups|9de2ae3598212122536c33c9c69357ae3252a1392fd8bd4a4a740468227e6644
holdout|tl-skb.pdf|texlive-latex-extra-doc|2022.20230122-4|usr/share/doc/texlive-doc/latex/skb/skb.pdf|changelog_bookmarks|529179ef5d701ca7eb7a848325aaf60ca8f1b46926e52b49e217a131d70f5a4f
holdout|tl-tagpdf.pdf|texlive-latex-extra-doc|2022.20230122-4|usr/share/doc/texlive-doc/latex/tagpdf/tagpdf.pdf|changelog_bookmarks|c31bca786a1abadd1293eaeecc45181a2cc6103f4e8e703cf8212e03313b4519
holdout|tl-zwpagelayout.pdf|texlive-latex-extra-doc|2022.20230122-4|usr/share/doc/texlive-doc/latex/zwpagelayout/zwpagelayout.pdf|changelog_bookmarks|e4b3f8a8c94272e111fd941bc8bfd581f0bfa1dfc5a23aaaa32e784adbbca0c4
dev|tl-Circuit_macros.pdf|texlive-pictures-doc|2022.20230122-3|usr/share/doc/texlive-doc/latex/circuit-macros/doc/Circuit_macros.pdf|marks_only_variants,glossary_columns|ea4e70a60a53f140c098213ccae47e9d908bf2980cd8157ee7a9821e27c34b40
holdout|tl-tzplot-doc.pdf|texlive-pictures-doc|2022.20230122-3|usr/share/doc/texlive-doc/latex/tzplot/tzplot-doc.pdf|marks_only_variants|77dde2ed76bbc8f5e9a84756ad1310fb4deef97beb4c864a9b74e8cd301c36e3
holdout|tl-tkz-berge-screen.pdf|texlive-pictures-doc|2022.20230122-3|usr/share/doc/texlive-doc/latex/tkz-berge/doc/tkz-berge-screen.pdf|marks_only_variants|f0cf7143ca05543afd73431ed704759888b715992165e961a123ff06d20f90e8
holdout|tl-footmisc-code.pdf|texlive-latex-extra-doc|2022.20230122-4|usr/share/doc/texlive-doc/latex/footmisc/footmisc-code.pdf|marks_only_variants|f8177e2d6e58ec79bcec55ea8dd499898d74308ae5dd5502863cddeabae20f45
holdout|tl-biblatex.pdf|texlive-bibtex-extra|2022.20230122-4|usr/share/doc/texlive-doc/latex/biblatex/biblatex.pdf|glossary_columns|f19ae7e3cae9a90ccec25b78d0e6b9788f9651afc4887acf97da491f677ec989
dev|tl-docby-e.pdf|texlive-plain-generic|2022.20230122-4|usr/share/doc/texlive-doc/generic/docbytex/docby-e.pdf|glossary_columns,inline_destinations|2fdaef5fd21b12edeb15b312ac6612bab6ebfafe6364eca8e2a0a2c6086ff21a
holdout|erl-syntax_tools.pdf|erlang-doc|1:25.2.3+dfsg-1+deb12u4|usr/share/doc/erlang-doc/lib/syntax_tools-3.0/doc/pdf/syntax_tools-3.0.pdf|glossary_columns|e58b460e982753b2d7baa52a7eb1f74132a95a091610cdf7b61da51afef3facd
holdout|tl-songs.pdf|texlive-music|2022.20230122-4|usr/share/doc/texlive-doc/latex/songs/songs.pdf|glossary_columns|5f8a52704f6f42da238a787d5cdf1d6a61e68c03e6bf5775081923d6521c8192
holdout|tl-xint.pdf|texlive-latex-extra-doc|2022.20230122-4|usr/share/doc/texlive-doc/generic/xint/xint.pdf|glossary_columns|07e6d76e03d5aa61f132a1e588c11d8b423377e56b6123dd1a0744319fc6747c
dev|tl-docby.pdf|texlive-plain-generic|2022.20230122-4|usr/share/doc/texlive-doc/generic/docbytex/docby.pdf|glossary_columns,inline_destinations|579d1a50767a2183a287836945b67dcee56aee5fa076f49fdf3b0cc1cdaed86b
dev|tl-apnum.pdf|texlive-plain-generic|2022.20230122-4|usr/share/doc/texlive-doc/generic/apnum/apnum.pdf|glossary_columns,inline_destinations|d8ac6f77cc3da368326a528e72b4c73e61cde26161948249f659ca7e42c75c62
dev|tl-glossaries-user.pdf|texlive-latex-extra-doc|2022.20230122-4|usr/share/doc/texlive-doc/latex/glossaries/glossaries-user.pdf|inline_destinations,line_end_destinations,index_letter_groups|bd8273babc134fe1dcb591cbe1cd6acad1d4a4242f305959ae45f03dd1fac88f
dev|tl-glossariesbegin.pdf|texlive-latex-extra-doc|2022.20230122-4|usr/share/doc/texlive-doc/latex/glossaries/glossariesbegin.pdf|inline_destinations,index_letter_groups,columns_read_across|cc6c235155699668f767a1d0ac27bc4f41169000dd92fa4d48567c21204ea030
holdout|tl-glossaries-extra-manual.pdf|texlive-latex-extra-doc|2022.20230122-4|usr/share/doc/texlive-doc/latex/glossaries-extra/glossaries-extra-manual.pdf|inline_destinations|1dd948016c01aa81fbb506dcaf9663d78b05775951d003d29c0129065f3d6942
holdout|tl-tracklang-manual.pdf|texlive-plain-generic|2022.20230122-4|usr/share/doc/texlive-doc/generic/tracklang/tracklang-manual.pdf|inline_destinations|48d088e6e6fb0511ff509e18c9f2d5eec3c39cbfdee5e14a7cb71d6d530504f2
EOF
)

wanted() { # $1 = set
  case "$1" in
    dev) [ "$SKIP_DEV" != 1 ] ;;
    holdout) [ -n "$HOLDOUT" ] ;;
    *) return 1 ;;
  esac
}
dest_of() { if [ "$1" = holdout ]; then echo "$HOLDOUT"; else echo "$DEST"; fi; }

# ---------------------------------------------------------------------------
# 1. Debian packages: download once per package, extract only the chosen paths
# ---------------------------------------------------------------------------
apt_updated=0
apt_download() { # $1 = package, $2 = version
  local pkg=$1 ver=$2
  ( cd "$WORK/debs" && apt-get download "$pkg=$ver" >/dev/null 2>&1 ) && return 0
  if [ $apt_updated = 0 ] && [ "$(id -u)" = 0 ]; then
    log "apt-get download $pkg=$ver failed; running apt-get update once"
    apt-get update >/dev/null 2>&1 || true
    apt_updated=1
    ( cd "$WORK/debs" && apt-get download "$pkg=$ver" >/dev/null 2>&1 ) && return 0
  fi
  local cand
  cand=$(apt-cache policy "$pkg" 2>/dev/null | awk '/Candidate:/{print $2}')
  log "WARNING: $pkg=$ver not available; using the current candidate ${cand:-?} (sha256 may differ)"
  ( cd "$WORK/debs" && apt-get download "$pkg" >/dev/null 2>&1 )
}

declare -A DEB_DONE=()
deb_bytes=0
t0=$(date +%s)
while IFS='|' read -r set name pkg ver path classes sha; do
  wanted "$set" || continue
  [ -z "${DEB_DONE[$pkg]:-}" ] || continue
  log "apt-get download $pkg=$ver"
  apt_download "$pkg" "$ver" || { log "ERROR: cannot download $pkg"; exit 1; }
  deb=$(ls "$WORK/debs/${pkg}_"*.deb | head -n1)
  deb_bytes=$((deb_bytes + $(stat -c %s "$deb")))
  # every wanted path of this package (+ its copyright file) in one tar pass
  members=("./usr/share/doc/$pkg/copyright")
  while IFS='|' read -r s2 _n p2 _v path2 _c _s; do
    [ "$p2" = "$pkg" ] && wanted "$s2" && members+=("./$path2")
  done <<< "$CATALOGUE"
  mkdir -p "$WORK/x/$pkg"
  dpkg-deb --fsys-tarfile "$deb" | tar -xf - -C "$WORK/x/$pkg" "${members[@]}" 2>/dev/null || true
  DEB_DONE[$pkg]=$(basename "$deb")
  rm -f "$deb"
done <<< "$CATALOGUE"
log "downloaded $((deb_bytes / 1000000)) MB of .deb in $(( $(date +%s) - t0 )) s"

# ---------------------------------------------------------------------------
# 2. Copy the chosen files into their set's folder
# ---------------------------------------------------------------------------
: > "$WORK/entries.tsv"
missing=0
while IFS='|' read -r set name pkg ver path classes sha; do
  wanted "$set" || continue
  out=$(dest_of "$set")
  src="$WORK/x/$pkg/$path"
  if [ ! -f "$src" ]; then log "ERROR: $pkg:/$path missing"; missing=1; continue; fi
  mkdir -p "$(dirname "$out/$name")"
  case "$path" in
    *.gz) gzip -dc "$src" > "$out/$name" ;;   # Debian compresses some docs; we keep the PDF
    *) cp "$src" "$out/$name" ;;
  esac
  cp "$WORK/x/$pkg/usr/share/doc/$pkg/copyright" "$out/licenses/$pkg.copyright" 2>/dev/null || true
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$set" "$out" "$name" "$sha" "debian:${DEB_DONE[$pkg]}:/$path" "$classes" \
    >> "$WORK/entries.tsv"
done <<< "$CATALOGUE"

# ---------------------------------------------------------------------------
# 3. Manifest (pypdfium2)
# ---------------------------------------------------------------------------
has_pdfium() { [ -x "$1/bin/python" ] && "$1/bin/python" -c 'import pypdfium2' 2>/dev/null; }
if [ -n "${CORPUS_VENV:-}" ]; then VENV=$CORPUS_VENV
elif has_pdfium "$REPO/.venv"; then VENV=$REPO/.venv
else VENV=$WORK/venv; fi
if [ ! -x "$VENV/bin/python" ]; then log "creating venv $VENV"; "${PYTHON:-python3}" -m venv "$VENV"; fi
if ! has_pdfium "$VENV"; then log "pip install pypdfium2 into $VENV"; "$VENV/bin/pip" install -q pypdfium2 >/dev/null; fi

"$VENV/bin/python" - "$WORK/entries.tsv" <<'PYEOF'
import collections, hashlib, os, sys
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

MODES = {0: "unknown", 1: "XYZ", 2: "Fit", 3: "FitH", 4: "FitV", 5: "FitR", 6: "FitB", 7: "FitBH", 8: "FitBV"}
COLS = ["file", "pages", "bookmarks", "sha256", "classes", "source", "set", "views", "no_position",
        "empty_pages", "rotated_pages", "cropped_pages", "bytes", "sha_match"]

def no_position(mode, view):
    if mode in ("Fit", "FitB", "unknown"):
        return True
    if mode in ("FitH", "FitBH"):
        return not view or view[0] is None
    if mode == "XYZ":
        return len(view) < 2 or view[1] is None
    return False

def facts(path):
    doc = pdfium.PdfDocument(path)
    n = len(doc)
    views, nopos = collections.Counter(), 0
    toc = list(doc.get_toc(max_depth=64))
    for b in toc:
        d = b.get_dest()
        if d is None or d.get_index() is None:
            views["none"] += 1
            nopos += 1
            continue
        mode, view = d.get_view()
        m = MODES.get(mode, str(mode))
        views[m] += 1
        nopos += no_position(m, list(view))
    empty, rotated, cropped = [], 0, 0
    for i in range(n):
        page = doc[i]
        rotated += bool(page.get_rotation())
        cb = tuple(round(x, 1) for x in page.get_cropbox())
        mb = tuple(round(x, 1) for x in page.get_mediabox())
        cropped += cb != mb
        tp = page.get_textpage()
        if tp.count_chars() == 0:
            kinds = [o.type for o in page.get_objects(max_depth=3)]
            if pdfium_c.FPDF_PAGEOBJ_IMAGE not in kinds:
                empty.append(i + 1)
        tp.close()
        page.close()
    return dict(pages=n, bookmarks=len(toc), views=",".join(f"{k}:{v}" for k, v in sorted(views.items())) or "-",
                no_position=nopos, empty_pages=(f"{len(empty)}:" + " ".join(map(str, empty[:40]))) if empty else "0",
                rotated_pages=rotated, cropped_pages=cropped)

by_dest = collections.defaultdict(list)
schemas = collections.defaultdict(list)
for line in open(sys.argv[1], encoding="utf-8"):
    set_, out, name, sha_exp, source, classes = line.rstrip("\n").split("\t")
    p = os.path.join(out, name)
    sha = hashlib.sha256(open(p, "rb").read()).hexdigest()
    if not name.lower().endswith(".pdf"):   # a schema shipped with a spec PDF
        schemas[(out, set_)].append(dict(file=name, for_pdf=classes.split(":", 1)[-1], sha256=sha,
                                          source=source, bytes=os.path.getsize(p), sha_match=(sha == sha_exp)))
        continue
    r = dict(file=name, sha256=sha, classes=classes, source=source, set=set_, bytes=os.path.getsize(p),
             sha_match=(sha == sha_exp))
    r.update(facts(p))
    by_dest[(out, set_)].append(r)

bad = []
SCOLS = ["file", "for_pdf", "sha256", "source", "bytes", "sha_match"]
for (out, set_), rows in schemas.items():
    with open(os.path.join(out, "SCHEMAS-extra.tsv"), "w", encoding="utf-8") as f:
        f.write("\t".join(SCOLS) + "\n")
        for r in rows:
            f.write("\t".join(str(r[c]) for c in SCOLS) + "\n")
    bad += [r["file"] for r in rows if not r["sha_match"]]
for (out, set_), rows in by_dest.items():
    with open(os.path.join(out, "MANIFEST-extra.tsv"), "w", encoding="utf-8") as f:
        f.write("\t".join(COLS) + "\n")
        for r in rows:
            f.write("\t".join(str(r[c]) for c in COLS) + "\n")
    bad += [r["file"] for r in rows if not r["sha_match"]]
    if set_ == "holdout":   # keep the hold-out out of sight: a summary only
        print(f"hold-out: {len(rows)} PDFs, {sum(r['pages'] for r in rows)} pages -> {out}")
        continue
    print("\t".join(COLS[:3] + ["views", "no_position", "empty_pages", "rotated_pages", "sha_match"]))
    for r in rows:
        print("\t".join(str(r[c]) for c in COLS[:3] + ["views", "no_position", "empty_pages", "rotated_pages", "sha_match"]))
if bad:
    print("WARNING: sha256 differs from the recorded value for: " + ", ".join(bad), file=sys.stderr)
PYEOF

[ "$SKIP_DEV" = 1 ] || log "dev set: $(grep -cE '^dev\|[^|]*\.pdf\|' <<< "$CATALOGUE") PDFs into $DEST (manifest: $DEST/MANIFEST-extra.tsv)"
[ -z "$HOLDOUT" ] || log "hold-out: $HOLDOUT (manifest: $HOLDOUT/MANIFEST-extra.tsv)"
exit $missing
