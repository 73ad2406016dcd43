import { Router } from 'express'

export function homeRoutes(): Router {
  const router = Router()
  router.get('/', (_req, res) => {
    res.render('pages/start', { title: 'Assess your place partnership’s readiness for delegation' })
  })
  return router
}
