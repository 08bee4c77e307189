import { selectSingularImages } from '../../store/viewSelectors';
import { useLab } from '../useLab';
import { DigitPicker } from './ViewControls';
import { PictureCanvas } from './Pictures';

/**
 * The first layer's input-space directions as pictures: for a Dense layer
 * on the flat 28 x 28 image, the top left singular vectors of its 784 x n
 * kernel as 28 x 28 images (each on its own diverging scale), and a test
 * digit as the layer sees it at its slider's rank k, projected on the top
 * k directions; for a Conv2D first layer, the directions as kh x kw
 * filters; otherwise a sentence saying why the view does not apply.
 */
export function SingularImages() {
  const view = useLab(selectSingularImages);
  if (!view) return <p className="note">The singular vectors appear once a model is open.</p>;
  if ('why' in view) return <p className="note" data-testid="singular-images-na">Singular vectors as images do not apply to this model: {view.why}</p>;
  const dense = view.layout === 'image';
  return (
    <section className="view singular-images" aria-label="Singular vectors as images" data-testid="singular-images" data-rank={view.k}>
      <p className="view-caption">
        {dense ? (
          <>Layer {view.layer} computes y = x W with W of {view.m} x {view.n}; the papers write it y = W<sup>T</sup> x. The input patterns it responds to are
            the left singular vectors of the {view.m} x {view.n} kernel W (the right singular vectors of W<sup>T</sup>), each a {view.m}-vector drawn as a 28 x 28 image,
            strongest first (σ is its singular value). Blue is negative, red positive, each tile on its own scale.</>
        ) : (
          <>Layer {view.layer} is a convolution: its kernel is a {view.m} x {view.n} matrix whose rows are the taps of its window, so each left singular vector
            is a {view.tiles[0]?.rows ?? 0} x {view.tiles[0]?.cols ?? 0} filter, strongest first{view.channelNote ? ` (${view.channelNote})` : ''}. Blue is negative, red positive.</>
        )}
      </p>
      <ol className="tile-grid" aria-label={`Top ${view.tiles.length} directions of ${view.layer}`}>
        {view.tiles.map((t) => (
          <li key={t.index} className="tile">
            <PictureCanvas picture={t} scale={dense ? 2.5 : 12} label={`Direction ${t.index + 1} of ${view.layer}, singular value ${t.sigma.toPrecision(3)}`} testId={`singular-tile-${t.index}`} />
            <span>{t.index + 1}: σ {t.sigma.toPrecision(3)}</span>
          </li>
        ))}
      </ol>
      {view.digit ? (
        <div className="digit-projection">
          <DigitPicker />
          <p className="view-caption">
            At rank k = {view.k} of {view.r} ({view.layer}&apos;s slider) the layer sees only the image&apos;s projection on its top {view.k} directions, U_k U_k<sup>T</sup> x;
            the rest is lost before any weight is applied. Relative error ||x − U_k U_k<sup>T</sup> x|| / ||x|| = <span data-testid="projection-error">{view.digit.relativeError.toFixed(3)}</span>.
          </p>
          <div className="picture-pair">
            <figure>
              <PictureCanvas picture={view.digit.original} scale={4} label={`Test image ${view.digit.index}, a ${view.digit.label}`} testId="projection-original" />
              <figcaption>The digit ({view.digit.label})</figcaption>
            </figure>
            <figure>
              <PictureCanvas picture={view.digit.projected} scale={4} label={`The same image projected on the top ${view.k} directions`} testId="projection-rank-k" />
              <figcaption>As {view.layer} sees it at k = {view.k} (blue negative, red positive, own scale)</figcaption>
            </figure>
          </div>
        </div>
      ) : !dense ? (
        <p className="note">The digit reconstruction applies to a Dense layer on the flat image; a convolution applies its filters to every {view.tiles[0]?.rows} x {view.tiles[0]?.cols} patch of it instead.</p>
      ) : null}
    </section>
  );
}
